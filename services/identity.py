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

from sqlalchemy import Connection, Engine, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.org import Person
from models.task import Counter
from services.intake_plan import Identity

COUNTER = "identity"
_CURRENT = func.coalesce(select(Counter.value).where(Counter.name == COUNTER).scalar_subquery(), 0)
VERSION = select(_CURRENT)
_ONE = select(literal(1).label("one")).subquery()
LOOKUP = (select(_CURRENT, Person.id, Person.role, Person.consortium_id, Person.unit_id)
          .select_from(_ONE.outerjoin(Person, Person.openid == bindparam("openid"))))
# The same for the fast lane's own PostgreSQL connections (prepared statements, no ORM):
PG_VERSION = f"SELECT COALESCE((SELECT value FROM counters WHERE name = '{COUNTER}'), 0)"
PG_LOOKUP = (f"SELECT ({PG_VERSION}), p.id, p.role, p.consortium_id, p.unit_id "
             "FROM (SELECT 1) AS one LEFT JOIN people p ON p.openid = %s")
# inside the one-statement group insert: a row planned on a version stored only if it is still current
PG_CURRENT = f"(r.plan->>'identity' IS NULL OR (r.plan->>'identity')::bigint = ({PG_VERSION}))"


def counter_upsert(dialect: str, name: str, count: int):
    """INSERT the counter or add `count` to it, one statement (RETURNING the value on request)."""
    table = Counter.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(name=name, value=count)
    return stmt.on_conflict_do_update(index_elements=["name"], set_={"value": table.c.value + count})


def bump_version(session: Session) -> None:
    """Someone's identity changed: part of the caller's transaction."""
    conn = session.connection()
    conn.execute(counter_upsert(conn.dialect.name, COUNTER, 1))


def current_version(conn: Connection) -> int:
    return conn.execute(VERSION).scalar_one()


def lookup(engine: Engine, openid: str) -> tuple[int, Identity]:
    """The identity version and who `openid` is, read in one statement (a stranger may have no row)."""
    with engine.connect() as conn:
        version, *ident = conn.execute(LOOKUP, {"openid": openid}).one()
    return version, Identity(*ident)
