"""Tongxin composition root: create_app(settings) and the `python bot.py ...` CLI. Wiring only."""
from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import commands
from commands.base import Env, emit, pass_env
from core.clock import utcnow
from core.config import ConfigError, Settings, load_settings
from core.metrics import Metrics
from core.spool import Spool
from core.wechat import Crypto
from handlers import webhook
from handlers.fastlane import DB_WAIT_SECONDS, FastLane
from handlers.registry import build_router
from handlers.router import Router
from handlers.webhook import replay_spool
from models.db import create_schema, make_engine, make_session_factory
from services.routing.live import LiveRules
from services.routing.setup import load_routing
from services.tasks import intake as intake_svc
from web import ops, simulator
from web.admin import bp as admin_bp

log = logging.getLogger("tongxin")


class MachineEndpointsSessionless(SecureCookieSessionInterface):
    """No cookie session for what WeChat's servers and monitors call: no signing work on the hot path."""

    PATHS = frozenset({"/wechat", "/healthz", "/readyz", "/metrics"})

    def open_session(self, app, request):
        return None if request.path in self.PATHS else super().open_session(app, request)


# --- the app's state: built once per process ----------------------------


@dataclass
class AppState:
    """Everything a process builds once: settings, database, router, routing rules, crypto, spool, fast lane."""
    settings: Settings
    session_factory: sessionmaker[Session]
    router: Router
    rules: Any
    crypto: Crypto | None
    clock: Callable = utcnow
    metrics: Metrics = field(default_factory=Metrics)
    spool: Spool | None = None
    fast_lane: Any = None  # handlers.fastlane.FastLane when enabled
    live_rules: Any = None  # services.routing.live.LiveRules: `rules` plus each consortium's accepted words
    task_creator: Any = None  # its background thread (--intake thread)

    def close(self) -> None:
        """Stop the background thread and close pooled connections (tests build many apps)."""
        if self.task_creator is not None:
            self.task_creator.stop()
        if self.fast_lane is not None:
            self.fast_lane.close()
        self.session_factory.kw["bind"].dispose()


def make_crypto(settings: Settings) -> Crypto | None:
    wc = settings.wechat
    return Crypto(wc.token, wc.aes_key, wc.app_id) if wc.aes_key else None


def build_state(settings: Settings, *, clock: Callable = utcnow, intake: str = "sync") -> AppState:
    """Wire what the webhook needs once per process: database, router, routing rules, crypto, spool.

    intake: "sync" creates a fast-lane request's task right after its commit, in the request;
    "thread" leaves it to a background thread of this process; "worker" to `python bot.py worker`;
    "off" sends every message through the full path.
    """
    engine = make_engine(settings.database_url, wait_seconds=DB_WAIT_SECONDS)
    create_schema(engine)
    state = AppState(settings=settings, session_factory=make_session_factory(engine), router=build_router(),
                         rules=load_routing(settings), crypto=make_crypto(settings), clock=clock,
                         spool=Spool(Path(settings.var_dir) / "spool"))
    state.live_rules = LiveRules(state.rules, state.session_factory, settings.routing.overlay_refresh_seconds)
    state.live_rules.refresh(clock())
    if intake != "off":
        task_creator = QueuedTaskCreator(state)
        state.fast_lane = FastLane(settings, engine, state.live_rules, clock,
                                   on_stored={"sync": task_creator.run_once, "thread": task_creator.wake}.get(intake))
        if intake == "thread":
            state.task_creator = task_creator
            task_creator.start()
    return state


class QueuedTaskCreator:
    """Turns stored fast-lane requests into tasks (in the request, or in a background thread)."""

    def __init__(self, state: AppState):
        self.state = state
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Create the tasks of what is queued; a failure leaves rows queued for the next run (never lost)."""
        try:
            return intake_svc.create_queued_tasks(self.state.session_factory, now=self.state.clock(),
                                      sandbox=self.state.settings.sandbox)
        except Exception:
            log.exception("creating tasks of queued requests failed; they stay queued")
            return 0

    def wake(self) -> None:
        self._event.set()

    def stop(self) -> None:
        """Stop the background thread and wait for a run under way to finish."""
        self._stopped.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def start(self) -> None:
        def loop() -> None:
            while not self._stopped.is_set():
                self._event.wait(2.0)
                self._event.clear()
                if self._stopped.is_set():
                    break
                try:
                    self.run_once()
                except Exception:
                    time.sleep(2.0)

        self._thread = threading.Thread(target=loop, name="task-creator", daemon=True)
        self._thread.start()


def start_spool_replayer(state: AppState, interval: float = 30.0) -> None:
    """A daemon thread per process: replay the spool at start-up and then every `interval` seconds."""
    def loop() -> None:
        while True:
            try:
                if state.spool.pending():
                    log.info("spool replay: %s", replay_spool(state))
            except OperationalError:
                pass  # still down; try again later
            except Exception:
                log.exception("spool replay failed")
            time.sleep(interval)

    threading.Thread(target=loop, name="spool-replayer", daemon=True).start()


def create_app(settings: Settings | None = None, *, clock=None, background: bool = False,
               intake: str = "sync") -> Flask:
    """The web app. `background=True` (serve) also replays the spool now and every 30 s.

    `intake` says where fast-lane requests become tasks: sync | thread | worker | off (bot.build_state).
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
    app.register_blueprint(webhook.bp)
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
