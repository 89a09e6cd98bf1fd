"""The fast intake lane's storage: grouped inbound inserts that number requests, deferred task creation.

A member's request is stored (with its routing decision and reserved task
number) in one multi-row INSERT shared with whatever other requests arrived at
the same moment, then answered; `create_queued_tasks` turns stored requests into tasks,
notifications and audit events shortly after, exactly once per message.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

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


NUMBER_MARK = "#NUMBER#"  # in a queued request's reply until the group insert gives it its number
REQUEST_STATUSES = (QUEUED, "task", "held")  # rows that are (part of) a member's request


def number_label(year: int, seq: int) -> str:
    return f"T-{year}-{seq:04d}"


def assign_numbers(conn: Connection, rows: list[dict]) -> dict[str, str]:
    """SQLite, under the write lock: number the stored requests in arrival order (one counter bump)."""
    numbers: dict[str, str] = {}
    for year in sorted({r["plan"]["year"] for r in rows}):
        group = [r for r in rows if r["plan"]["year"] == year]
        stmt = identity.counter_upsert(conn.dialect.name, f"task-{year}", len(group)).returning(Counter.__table__.c.value)
        end = conn.execute(stmt).scalar_one()
        for seq, row in enumerate(group, start=end - len(group) + 1):
            numbers[row["dedupe_key"]] = number_label(year, seq)
    table = InboundMessage.__table__
    for row in rows:
        num = numbers[row["dedupe_key"]]
        conn.execute(update(table).where(table.c.dedupe_key == row["dedupe_key"])
                     .values(plan={**row["plan"], "number": num}, reply=row["reply"].replace(NUMBER_MARK, num)))
    return numbers


def busy_requesters(conn: Connection, rows: list[dict], window: tuple[float, float]) -> set[str]:
    """Keys of request rows whose sender wrote a request within the burst window (before or after: two
    web processes store concurrent groups in either order), or has a task
    accepted within the same-matter window: the full path decides those (services/tasks/bursts.py)."""
    burst, same_matter = window
    msgs, tasks_t, people = InboundMessage.__table__, Task.__table__, Person.__table__
    busy: set[str] = set()
    for row in rows if burst > 0 else []:
        recent = select(msgs.c.id).where(msgs.c.openid == row["openid"], msgs.c.status.in_(REQUEST_STATUSES),
                                         msgs.c.dedupe_key != row["dedupe_key"],
                                         msgs.c.received_at.between(row["received_at"] - timedelta(seconds=burst),
                                                                    row["received_at"] + timedelta(seconds=burst)))
        accepted = select(tasks_t.c.id).join(people, people.c.id == tasks_t.c.requester_id).where(
            people.c.openid == row["openid"], tasks_t.c.status == "accepted",
            tasks_t.c.accepted_at >= row["received_at"] - timedelta(seconds=same_matter))
        if conn.scalar(recent.limit(1)) is not None or conn.scalar(accepted.limit(1)) is not None:
            busy.add(row["dedupe_key"])
    return busy


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

    def __init__(self, engine: Engine, window: tuple[float, float] = (0, 0)):
        self.engine = engine
        self.window = window  # (burst, same matter) in seconds; 0: no hand-off

    def insert(self, rows: list[dict]) -> dict[str, str | None]:
        """Insert, then (holding SQLite's write lock) take back rows planned on a stale identity and
        requests of a sender with a request under way, and number the requests kept.

        Returns {dedupe key inserted: task number or None}.
        """
        with self.engine.begin() as conn:
            inserted = insert_batch(conn, rows)
            version = identity.current_version(conn)
            fresh = [r for r in rows if r["dedupe_key"] in inserted]
            stale = {r["dedupe_key"] for r in fresh if (r["plan"] or {}).get("identity", version) != version}
            stale |= busy_requesters(conn, [r for r in fresh if r["status"] == QUEUED], self.window)
            if stale:
                table = InboundMessage.__table__
                conn.execute(delete(table).where(table.c.dedupe_key.in_(stale)))
            kept = [r for r in fresh if r["dedupe_key"] not in stale]
            numbers = assign_numbers(conn, [r for r in kept if r["status"] == QUEUED])
            return {r["dedupe_key"]: numbers.get(r["dedupe_key"]) for r in kept}

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
    BEGIN/COMMIT. Task numbers are taken in the same statement (the counter row's
    lock orders concurrent groups, so numbers follow commit order). psycopg
    serializes concurrent use; the lock here guards reconnection. The fast lane
    keeps a second store for identity reads, so a read never waits for a commit.
    """

    COLUMNS = tuple(c.name for c in InboundMessage.__table__.columns if not c.primary_key)
    NUMBERED = ", ".join({"plan": "CASE WHEN num IS NULL THEN plan ELSE (plan::jsonb || jsonb_build_object('number', num))::json END",
                          "reply": f"CASE WHEN num IS NULL THEN reply ELSE replace(reply, '{NUMBER_MARK}', num) END"}
                         .get(c, c) for c in COLUMNS)
    INSERT = (
        # scalar subqueries (index look-ups per row, never a scan) let the connection keep one generic
        # plan (plan_cache_mode): re-planning this statement per call cost more than running it
        "WITH src AS (SELECT r.* FROM json_populate_recordset(NULL::inbound_messages, %(rows)s) WITH ORDINALITY AS r "
        f"  WHERE {identity.PG_CURRENT} AND (CASE WHEN r.status = '{QUEUED}' AND %(burst)s > 0 THEN COALESCE("
        "    (SELECT m.id FROM inbound_messages m"
        f"      WHERE m.openid = r.openid AND m.status IN {REQUEST_STATUSES!r}"
        "       AND m.received_at BETWEEN r.received_at - make_interval(secs => %(burst)s)"
        "                             AND r.received_at + make_interval(secs => %(burst)s) LIMIT 1),"
        "    (SELECT t.id FROM tasks t JOIN people p ON p.id = t.requester_id WHERE p.openid = r.openid"
        "       AND t.status = 'accepted' AND t.accepted_at >= r.received_at - make_interval(secs => %(same)s) LIMIT 1))"
        "    END) IS NULL), "
        "fresh AS (SELECT * FROM src WHERE (SELECT m.id FROM inbound_messages m WHERE m.dedupe_key = src.dedupe_key) IS NULL), "
        f"need AS (SELECT count(*) AS n FROM fresh WHERE status = '{QUEUED}'), "
        "bump AS (INSERT INTO counters (name, value) SELECT %(counter)s, n FROM need WHERE n > 0 "
        "  ON CONFLICT (name) DO UPDATE SET value = counters.value + EXCLUDED.value RETURNING value), "
        f"numbered AS (SELECT fresh.*, CASE WHEN status = '{QUEUED}' THEN (SELECT value FROM bump) - (SELECT n FROM need)"
        f"  + row_number() OVER (PARTITION BY status = '{QUEUED}' ORDER BY ordinality) END AS seq FROM fresh), "
        "labelled AS (SELECT numbered.*, %(prefix)s || lpad(seq::text, greatest(4, length(seq::text)), '0') AS num "
        "  FROM numbered) "
        f"INSERT INTO inbound_messages ({', '.join(COLUMNS)}) "
        f"SELECT {NUMBERED} FROM labelled ORDER BY ordinality "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, plan->>'number'")

    def __init__(self, engine: Engine, wait_seconds: float, window: tuple[float, float] = (0, 0)):
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._timeout = wait_seconds
        self.window = window  # (burst, same matter) in seconds; 0: no hand-off
        self._conn = None
        self._lock = threading.Lock()

    def insert(self, rows: list[dict]) -> dict[str, str | None]:
        """One statement per year (a group spans two only at New Year): store, skip requests of a sender
        with a request under way (the full path decides those), number the requests kept in arrival order.

        Returns {dedupe key inserted: task number or None}.
        """
        stored: dict[str, str | None] = {}
        for year in sorted({(r["plan"] or {}).get("year", 0) for r in rows}):
            group = [r for r in rows if (r["plan"] or {}).get("year", 0) == year]
            payload = json.dumps([{**row, "received_at": row["received_at"].isoformat()} for row in group],
                                 ensure_ascii=False)
            params = {"rows": payload, "burst": self.window[0], "same": self.window[1], "counter": f"task-{year}",
                      "prefix": f"T-{year}-"}
            stored.update(dict(self._execute(self.INSERT, params)))
        return stored

    def lookup_many(self, openids: list[str]) -> dict[str, tuple[int, Identity]]:
        """services.org.identity.lookup_many in one prepared statement (the fast lane keeps a store for reads)."""
        return {openid: (version, Identity(*ident))
                for version, openid, *ident in self._execute(identity.PG_LOOKUP, [openids])}

    def version(self) -> int:
        [(version,)] = self._execute(identity.PG_VERSION, [])
        return version

    def _execute(self, sql: str, params: list | dict) -> list[tuple]:
        import psycopg
        with self._lock:
            while True:
                fresh = self._conn is None
                try:
                    if fresh:
                        self._conn = psycopg.connect(self._conninfo, autocommit=True,
                                                     connect_timeout=max(1, int(self._timeout)),
                                                     options=f"-c statement_timeout={int(self._timeout * 1000)} "
                                                             "-c plan_cache_mode=force_generic_plan")
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


def fast_store(engine: Engine, wait_seconds: float, window: tuple[float, float] = (0, 0)) -> EngineStore | PgStore:
    """`window` (burst, same matter) in seconds: a request whose sender wrote a request within the first,
    or had one accepted within the second, is not stored (the fast lane hands it to the full path)."""
    if engine.dialect.name == "postgresql":
        return PgStore(engine, wait_seconds, window)
    return EngineStore(engine, window)


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
            if create_queued_task(session, inbound_id, sandbox=sandbox) is not None:
                session.commit()
                done += 1
    return done


def create_queued_task(session: Session, inbound_id: int, *, sandbox: bool) -> Task | None:
    """Claim one stored request and create its task in `session`; None if another process took it."""
    claimed = session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id,
                                                           InboundMessage.status == QUEUED)
                              .values(status="task")).rowcount
    if claimed != 1:
        return None
    row = session.get(InboundMessage, inbound_id)
    plan = row.plan or {}
    person = session.get(Person, plan["person_id"])
    task = tasks.submit_request(session, person, row.content or "", plan["decision"], now=row.received_at,
                                sandbox=sandbox, number=plan["number"])
    row.task_id = task.id
    return task


def create_queued_tasks_of(session: Session, openid: str, *, sandbox: bool) -> int:
    """Before the full path looks at a sender's requests: their stored fast-lane requests become tasks now.

    Rows a worker is turning into tasks at this moment are locked by it and skipped (PostgreSQL SKIP LOCKED):
    waiting for them could outlast WeChat's five seconds, and they become tasks anyway."""
    ids = session.scalars(select(InboundMessage.id).where(InboundMessage.openid == openid,
                                                          InboundMessage.status == QUEUED)
                          .order_by(InboundMessage.id).with_for_update(skip_locked=True)).all()
    return sum(create_queued_task(session, i, sandbox=sandbox) is not None for i in ids)
