"""The fast intake lane's storage: numbers in blocks, grouped inbound inserts, deferred task creation.

A member's request is stored (with its routing decision and reserved task
number) in one multi-row INSERT shared with whatever other requests arrived at
the same moment, then answered; `create_queued_tasks` turns stored requests into tasks,
notifications and audit events shortly after, exactly once per message.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.db import dialect_insert
from models.message import InboundMessage
from models.org import Person
from models.task import Counter, Task
from services.messages import inbound as inbound_svc
from services.org import identity
from services.tasks import plan as intake_plan
from services.tasks import lifecycle as tasks
from services.tasks.plan import Identity

QUEUED = "task_queued"


def reserve_numbers(engine: Engine, year: int, count: int) -> range:
    """Reserve `count` consecutive task numbers for this process (one statement, one commit)."""
    stmt = identity.counter_upsert(engine.dialect.name, f"task-{year}", count).returning(Counter.__table__.c.value)
    with engine.begin() as conn:
        end = conn.execute(stmt).scalar_one()
    return range(end - count + 1, end + 1)


def submit_pending(session: Session, person: Person, rules, *, now: datetime,
                   sandbox: bool) -> tuple[Task | None, int]:
    """After binding: what the user sent while unbound becomes ONE request (texts joined oldest first).

    Returns the task (None when the joined text is no request, e.g. only a greeting) and how many
    messages went into it; every pending message is then settled.
    """
    rows = inbound_svc.pending_for(session, person.openid)
    if not rows:
        return None, 0
    text = intake_plan.pending_text([row.content or "" for row in rows])
    plan = intake_plan.plan(text, Identity.of(person), rules)
    task = None
    if plan.kind == intake_plan.REQUEST:
        task = tasks.submit_request(session, person, text, plan.decision.to_dict(), now=now, sandbox=sandbox)
    for row in rows:
        inbound_svc.mark(session, row.id, "task" if task else "stored", task.id if task else None)
    return task, len(rows)


def insert_batch(conn: Connection, rows: list[dict]) -> set[str]:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING for a group; returns the keys actually inserted."""
    table = InboundMessage.__table__
    stmt = dialect_insert(conn.dialect.name, table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key)
    return set(conn.execute(stmt, rows).scalars().all())


class EngineStore:
    """The fast lane's storage through the SQLAlchemy engine (SQLite): Core statements, short transactions."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def insert(self, rows: list[dict]) -> set[str]:
        """Insert, then (holding SQLite's write lock) take back rows planned on a stale identity."""
        with self.engine.begin() as conn:
            inserted = insert_batch(conn, rows)
            version = identity.current_version(conn)
            stale = {r["dedupe_key"] for r in rows
                     if r["dedupe_key"] in inserted and (r["plan"] or {}).get("identity", version) != version}
            if stale:
                table = InboundMessage.__table__
                conn.execute(delete(table).where(table.c.dedupe_key.in_(stale)))
            return inserted - stale

    def reserve(self, year: int, count: int) -> range:
        return reserve_numbers(self.engine, year, count)

    def lookup_many(self, openids: list[str]) -> dict[str, tuple[int, Identity]]:
        return identity.lookup_many(self.engine, openids)

    def version(self) -> int:
        with self.engine.connect() as conn:
            return identity.current_version(conn)

    def close(self) -> None:
        pass


class PgStore:
    """The fast lane's storage on PostgreSQL: a dedicated connection and two prepared statements.

    A group of rows goes in ONE statement with ONE JSON parameter, in autocommit
    mode: the INSERT ... SELECT FROM json_populate_recordset is its own
    transaction, committed (durable, as synchronous_commit says) when it returns,
    so a group costs one round trip and about 50 µs of client CPU whatever its
    size, against ~0.2 ms + 20 µs a row through the ORM's multi-row INSERT inside
    BEGIN/COMMIT. Task numbers are reserved on the same connection. psycopg
    serializes concurrent use; the lock here guards reconnection. The fast lane
    keeps a second store for identity reads, so a read never waits for a commit.
    """

    COLUMNS = tuple(c.name for c in InboundMessage.__table__.columns if not c.primary_key)
    INSERT = (f"INSERT INTO inbound_messages ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
              f"FROM json_populate_recordset(NULL::inbound_messages, %s) AS r WHERE {identity.PG_CURRENT} "
              "ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key")
    RESERVE = ("INSERT INTO counters (name, value) VALUES (%s, %s) "
               "ON CONFLICT (name) DO UPDATE SET value = counters.value + EXCLUDED.value RETURNING value")

    def __init__(self, engine: Engine, wait_seconds: float):
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._timeout = wait_seconds
        self._conn = None
        self._lock = threading.Lock()

    def insert(self, rows: list[dict]) -> set[str]:
        payload = json.dumps([{**row, "received_at": row["received_at"].isoformat()} for row in rows],
                             ensure_ascii=False)
        return {key for (key,) in self._execute(self.INSERT, [payload])}

    def reserve(self, year: int, count: int) -> range:
        [(end,)] = self._execute(self.RESERVE, [f"task-{year}", count])
        return range(end - count + 1, end + 1)

    def lookup_many(self, openids: list[str]) -> dict[str, tuple[int, Identity]]:
        """services.org.identity.lookup_many in one prepared statement (the fast lane keeps a store for reads)."""
        return {openid: (version, Identity(*ident))
                for version, openid, *ident in self._execute(identity.PG_LOOKUP, [openids])}

    def version(self) -> int:
        [(version,)] = self._execute(identity.PG_VERSION, [])
        return version

    def _execute(self, sql: str, params: list) -> list[tuple]:
        import psycopg
        with self._lock:
            while True:
                fresh = self._conn is None
                try:
                    if fresh:
                        self._conn = psycopg.connect(self._conninfo, autocommit=True,
                                                     connect_timeout=max(1, int(self._timeout)),
                                                     options=f"-c statement_timeout={int(self._timeout * 1000)}")
                    return self._conn.execute(sql, params, prepare=True).fetchall()
                except psycopg.OperationalError as exc:
                    self._close()
                    if fresh:  # unreachable or timed out: the caller spools
                        raise OperationalError(sql, None, exc) from exc
                    # a connection broken while idle: once more on a new one (ON CONFLICT makes it safe)
                except psycopg.Error:
                    self._close()
                    raise

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def fast_store(engine: Engine, wait_seconds: float) -> EngineStore | PgStore:
    return PgStore(engine, wait_seconds) if engine.dialect.name == "postgresql" else EngineStore(engine)


def stored_reply(engine: Engine, dedupe_key: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(select(InboundMessage.reply).where(InboundMessage.dedupe_key == dedupe_key)) or ""


def create_queued_tasks(session_factory: sessionmaker, *, now: datetime, sandbox: bool, limit: int = 200) -> int:
    """Create the tasks of stored fast-lane requests; several processes may run this at once."""
    done = 0
    with session_factory() as session:
        ids = session.scalars(select(InboundMessage.id).where(InboundMessage.status == QUEUED)
                              .order_by(InboundMessage.id).limit(limit)).all()
    for inbound_id in ids:
        with session_factory() as session:
            claimed = session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id,
                                                                   InboundMessage.status == QUEUED)
                                      .values(status="task")).rowcount
            if claimed != 1:
                continue  # another process took it
            row = session.get(InboundMessage, inbound_id)
            plan = row.plan or {}
            person = session.get(Person, plan["person_id"])
            task = tasks.submit_request(session, person, row.content or "", plan["decision"], now=row.received_at,
                                        sandbox=sandbox, number=plan["number"])
            row.task_id = task.id
            session.commit()
            done += 1
    return done
