"""Alembic, driven from code: upgrade, current revision, and the models-vs-migrations check."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    """The newest revision of the migration scripts (read once per process)."""
    if "head" not in _HEAD:
        _HEAD["head"] = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return _HEAD["head"]


_HEAD: dict[str, str | None] = {}
LOCK_KEY = 7_274_001  # PostgreSQL advisory lock: one migrating process at a time


def upgrade_engine(engine: Engine) -> None:
    """Upgrade to head; cheap when already current. Concurrent starters wait for each other."""
    from sqlalchemy import text
    with engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head():
            return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        command.upgrade(alembic_config(connection=conn), "head")


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def differences(engine: Engine) -> list:
    """What the models have that the migrated database does not (empty = they agree)."""
    import models.all  # noqa: F401
    from models.base import Base
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)
