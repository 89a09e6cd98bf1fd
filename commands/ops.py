"""`spool replay`, `db upgrade`: operations commands."""
from __future__ import annotations

import click


def register(cli: click.Group, pass_env, emit) -> None:
    @cli.group()
    def spool() -> None:
        """Messages kept on disk while the database was unreachable."""

    @spool.command("replay")
    @pass_env
    def spool_replay(env) -> None:
        """Store spooled messages (each once) and queue their replies; prints counts as JSON."""
        from handlers.webhook import build_state, replay_spool
        state = build_state(env.settings, intake="off")
        try:
            emit(replay_spool(state))
        finally:
            state.close()

    @cli.group()
    def db() -> None:
        """Database schema."""

    @db.command("upgrade")
    @pass_env
    def db_upgrade(env) -> None:
        """Apply every migration (Alembic) to DATABASE_URL."""
        from models.migrate import upgrade
        emit({"revision": upgrade(env.settings.database_url)})
