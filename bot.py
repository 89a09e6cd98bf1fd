"""Tongxin composition root: create_app(settings) and the `python bot.py ...` CLI. Wiring only."""
from __future__ import annotations

import logging
import sys
from typing import Any

import click
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

import commands
from core.clock import utcnow
from core.config import ConfigError, Settings, load_settings
from commands.base import Env, emit, pass_env
from handlers.webhook import build_state, make_blueprint, replay_spool, start_spool_replayer
from models.db import create_schema, make_engine
from web import ops, simulator
from web.admin import bp as admin_bp

log = logging.getLogger("tongxin")


class MachineEndpointsSessionless(SecureCookieSessionInterface):
    """No cookie session for what WeChat's servers and monitors call: no signing work on the hot path."""

    PATHS = frozenset({"/wechat", "/healthz", "/readyz", "/metrics"})

    def open_session(self, app, request):
        return None if request.path in self.PATHS else super().open_session(app, request)


def create_app(settings: Settings | None = None, *, clock=None, background: bool = False,
               intake: str = "sync") -> Flask:
    """The web app. `background=True` (serve) also replays the spool now and every 30 s.

    `intake` says where fast-lane requests become tasks: sync | thread | worker | off (handlers.webhook).
    """
    settings = settings or load_settings()
    state = build_state(settings, clock=clock or utcnow, intake=intake)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, JSON_AS_ASCII=False)
    app.session_interface = MachineEndpointsSessionless()
    if settings.trusted_proxies:  # else X-Forwarded-* are never believed: remote_addr is the peer
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_port=0, x_prefix=0)
    app.extensions["tongxin"] = state
    app.register_blueprint(make_blueprint(state))
    app.register_blueprint(ops.bp)
    app.register_blueprint(admin_bp)
    if settings.sandbox:
        app.register_blueprint(simulator.bp)
    if background:
        start_spool_replayer(state)

    @app.get("/")
    def index() -> Any:
        return {"service": "tongxin", "sandbox": settings.sandbox,
                "simulator": "/simulator" if settings.sandbox else None}

    return app


# --- CLI -----------------------------------------------------------------



@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """同心 Tongxin: WeChat bot and backend of a county medical consortium."""


@cli.command()
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=8000, type=int, show_default=True)
@click.option("--workers", envvar="WEB_CONCURRENCY", default=2, type=int, show_default=True)
@click.option("--threads", envvar="WEB_THREADS", default=8, type=int, show_default=True,
              help="Threads per worker: requests in flight together share one commit.")
@click.option("--intake", envvar="TONGXIN_INTAKE", default="thread", show_default=True,
              type=click.Choice(["thread", "worker", "sync", "off"]),
              help="Where a member's request becomes a task: a thread of each web worker, or `bot.py worker`.")
@click.option("--worker-class", envvar="WEB_WORKER_CLASS", default="auto", show_default=True,
              type=click.Choice(["auto", "sync", "gthread", "gevent"]),
              help="gunicorn worker class; auto: gevent on PostgreSQL, gthread on SQLite (a lock wait must not stall a loop).")
@pass_env
def serve(env: Env, host: str, port: int, workers: int, threads: int, intake: str, worker_class: str) -> None:
    """Serve the webhook (and the sandbox simulator) with gunicorn."""
    from core.server import prepare_worker_class, restart_patched_by_gevent, run_gunicorn
    if worker_class == "auto":
        worker_class = "gthread" if env.settings.database_url.startswith("sqlite") else "gevent"
    prepare_worker_class(worker_class)
    if worker_class == "gevent":
        restart_patched_by_gevent(["serve", "--host", host, "--port", str(port), "--workers", str(workers),
                                   "--threads", str(threads), "--intake", intake, "--worker-class", "gevent"])
    settings = env.settings
    if settings.sandbox:
        click.echo(f"WARNING: sandbox mode (no WeChat credentials): token '{settings.wechat.token}', "
                   f"outbound messages are stored, not sent. Try http://{host}:{port}/simulator", err=True)
    engine = make_engine(settings.database_url)
    create_schema(engine)  # migrate once, in the master, before the workers fork
    engine.dispose()
    run_gunicorn(lambda: create_app(settings, background=True, intake=intake), host=host, port=port,
                 workers=workers, threads=threads, worker_class=worker_class)


@cli.command("init-db")
@click.option("--demo", is_flag=True, help="Also create demo people and invite codes.")
@pass_env
def init_db(env: Env, demo: bool) -> None:
    """Create tables and load the consortia of config.yaml (idempotent)."""
    from services.demo import seed as demo_svc
    from services.org import structure as org
    with env.session() as session:
        counts = org.sync_org(session, env.settings)
        if demo:
            counts["demo"] = demo_svc.seed(session, env.settings, now=utcnow(), requests=True)
        session.commit()
    emit(counts)


@cli.group()
def spool() -> None:
    """Messages kept on disk while the database was unreachable."""


@spool.command("replay")
@pass_env
def spool_replay(env: Env) -> None:
    """Store spooled messages (each once) and queue their replies; prints counts as JSON."""
    state = build_state(env.settings, intake="off")
    try:
        emit(replay_spool(state))
    finally:
        state.close()


for _module in commands.MODULES:  # each feature module's click groups
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    import os
    from core.logs import setup_logging
    setup_logging(os.environ.get("LOG_LEVEL", "INFO").upper(), json_logs=os.environ.get("LOG_FORMAT", "json") == "json")
    try:
        cli.main(args=argv, prog_name="bot.py", standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"ConfigError: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
