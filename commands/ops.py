"""`db upgrade`: operations commands (`spool replay` needs the whole app and lives in bot.py)."""
from __future__ import annotations

import click

from commands.base import emit, pass_env


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_env
def db_upgrade(env) -> None:
    """Apply every migration (Alembic) to DATABASE_URL."""
    from models.db import upgrade_database
    emit({"revision": upgrade_database(env.settings.database_url)})


COMMANDS = (db,)
