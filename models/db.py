"""Engine and session factories. No import-time state: callers build them."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from models.base import Base


def dialect_insert(dialect: str, table):
    """INSERT for `table` with the dialect's ON CONFLICT support (PostgreSQL, else SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def make_engine(url: str, *, wait_seconds: float = 30.0, **kwargs) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    `wait_seconds` bounds how long a statement may wait (lock on SQLite, statement time on
    PostgreSQL): the webhook passes a few seconds so that WeChat is always answered in time.
    """
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = int(wait_seconds * 1000)
        engine = create_engine(url, connect_args={"timeout": wait_seconds}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    extra = dict(kwargs.pop("connect_args", {}))
    options = f"-c statement_timeout={int(wait_seconds * 1000)} {extra.pop('options', '')}".strip()
    connect_args = {"connect_timeout": max(1, int(min(wait_seconds, 10))), "options": options, **extra}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_session_factory(engine_or_url: Engine | str) -> sessionmaker[Session]:
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    return sessionmaker(bind=engine, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest migration (Alembic); a no-op when it is current."""
    from models.migrate import upgrade_engine
    upgrade_engine(engine)


def drop_schema(engine: Engine) -> None:
    """Drop every table and the migration marker (tests and benchmarks only)."""
    import models.all  # noqa: F401
    from sqlalchemy import text
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def schema_status(session: Session) -> str:
    """'current' when the database is at the newest migration, else 'behind'."""
    from alembic.migration import MigrationContext
    from models.migrate import head
    current = MigrationContext.configure(session.connection()).get_current_revision()
    return "current" if current == head() else "behind"


def upgrade_database(url: str) -> str | None:
    """Apply every migration to the database at `url`; the revision it is at afterwards."""
    from models.migrate import current, upgrade_engine
    engine = make_engine(url)
    try:
        upgrade_engine(engine)
        return current(engine)
    finally:
        engine.dispose()
