"""The fast intake lane's storage: numbers in blocks, grouped inbound inserts, deferred task creation.

A member's request is stored (with its routing decision and reserved task
number) in one multi-row INSERT shared with whatever other requests arrived at
the same moment, then answered; `materialize` turns stored requests into tasks,
notifications and audit events shortly after, exactly once per message.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from models.message import InboundMessage
from models.org import Person
from models.task import Counter
from services import tasks

QUEUED = "task_queued"


def reserve_numbers(engine: Engine, year: int, count: int) -> range:
    """Reserve `count` consecutive task numbers for this process (one short transaction)."""
    name = f"task-{year}"
    with Session(engine) as session, session.begin():
        counter = session.get(Counter, name, with_for_update=True)
        if counter is None:
            counter = Counter(name=name, value=0)
            session.add(counter)
            session.flush()
        start = counter.value + 1
        counter.value += count
    return range(start, start + count)


def member_identity(engine: Engine, openid: str) -> dict | None:
    """A bound member's identity for the fast lane, or None (anyone else takes the full path)."""
    with engine.connect() as conn:
        row = conn.execute(select(Person.id, Person.consortium_id, Person.unit_id)
                           .where(Person.openid == openid, Person.role == "member")).first()
    return None if row is None else {"person_id": row.id, "consortium_id": row.consortium_id, "unit_id": row.unit_id}


def insert_batch(conn: Connection, rows: list[dict]) -> set[str]:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING for a group; returns the keys actually inserted."""
    table = InboundMessage.__table__
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key)
    return set(conn.execute(stmt, rows).scalars().all())


def stored_reply(engine: Engine, dedupe_key: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(select(InboundMessage.reply).where(InboundMessage.dedupe_key == dedupe_key)) or ""


def materialize(session_factory: sessionmaker, *, now: datetime, sandbox: bool, limit: int = 200) -> int:
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
