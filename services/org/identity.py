"""Who sends a message, and the identity version that tells every process when that changed.

Every bind, unbind or role change bumps one counter row (`counters.identity`) in
the same transaction as the change (services.people does it on flush, whatever
path made the change: chat, console, CLI, seeding). A web process may cache
identities as long as the counter stands still: the fast lane's group insert
stores a message only if the version it was planned with is still current
(checked inside the insert's own transaction), so a message planned on a stale
identity is planned again, in every process, the moment the change commits.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from models.db import dialect_insert
from models.org import Person
from models.task import Counter
from services.tasks.plan import STRANGER, Identity

COUNTER = "identity"
_CURRENT = func.coalesce(select(Counter.value).where(Counter.name == COUNTER).scalar_subquery(), 0)
VERSION = select(_CURRENT)
# The same for the fast lane's own PostgreSQL connections (prepared statements, no ORM):
PG_VERSION = f"SELECT COALESCE((SELECT value FROM counters WHERE name = '{COUNTER}'), 0)"
PG_LOOKUP = (f"SELECT ({PG_VERSION}), o.openid, p.id, p.role, p.consortium_id, p.unit_id "
             "FROM unnest(%s::text[]) AS o(openid) LEFT JOIN people p ON p.openid = o.openid")
# inside the one-statement group insert: a row planned on a version stored only if it is still current
PG_CURRENT = f"(r.plan->>'identity' IS NULL OR (r.plan->>'identity')::bigint = ({PG_VERSION}))"


def counter_upsert(dialect: str, name: str, count: int):
    """INSERT the counter or add `count` to it, one statement (RETURNING the value on request)."""
    table = Counter.__table__
    stmt = dialect_insert(dialect, table).values(name=name, value=count)
    return stmt.on_conflict_do_update(index_elements=["name"], set_={"value": table.c.value + count})


def bump_version(session: Session) -> None:
    """Someone's identity changed: part of the caller's transaction."""
    conn = session.connection()
    conn.execute(counter_upsert(conn.dialect.name, COUNTER, 1))


def current_version(conn: Connection) -> int:
    return conn.execute(VERSION).scalar_one()


def lookup_many(engine: Engine, openids: list[str]) -> dict[str, tuple[int, Identity]]:
    """{openid: (identity version, who it is)}; a stranger may have no row.

    The version is read first: what is read after it is at least as new, so at worst a message
    is planned once more, never on an identity older than its version says.
    """
    with engine.connect() as conn:
        version = current_version(conn)
        rows = conn.execute(select(Person.openid, Person.id, Person.role, Person.consortium_id, Person.unit_id)
                            .where(Person.openid.in_(openids))).all()
    found = {openid: Identity(*ident) for openid, *ident in rows}
    return {openid: (version, found.get(openid, STRANGER)) for openid in openids}
