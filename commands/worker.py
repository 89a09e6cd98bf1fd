"""`worker [--once]`: deliver queued outbox rows through the WeChat API."""
from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import click

from commands.base import emit, pass_env
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("tongxin.worker")


def _sqlite_lock(settings):
    """SQLite: one worker at a time (a second one exits); PostgreSQL needs no lock."""
    if not settings.database_url.startswith("sqlite"):
        return None
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    handle = open(settings.var_dir / "worker.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise click.ClickException("another worker is already delivering from this SQLite database") from None
    return handle


def _async_commit(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET synchronous_commit = off")
    cur.close()
    dbapi_conn.commit()


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _create_queued_tasks(factory, sandbox: bool) -> int:
    """Requests the webhook stored on its fast lane become tasks here (`serve --intake worker`)."""
    from core.clock import utcnow
    from services.tasks.intake import create_queued_tasks
    return create_queued_tasks(factory, now=utcnow(), sandbox=sandbox)


def _fetch_photos(factory, api) -> int:
    """Meeting and activity photos are downloaded before their media ids expire (services.meetings.media)."""
    from core.clock import utcnow
    from services.meetings.media import fetch_due
    return fetch_due(factory, api, clock=utcnow)["stored"]


def _loop(factory, api, conf, worker_name: str, *, once: bool) -> dict[str, int]:
    """Deliver batch after batch; `once`: until nothing is due. Errors are logged and retried."""
    from core.clock import utcnow
    from services.messages.delivery import run_once
    totals: dict[str, int] = {}
    stop = threading.Event() if once else _stop_event()
    with ThreadPoolExecutor(conf.threads, thread_name_prefix="deliver") as pool:
        while True:
            try:
                totals["tasks"] = totals.get("tasks", 0) + _create_queued_tasks(factory, sandbox=False)
                totals["photos"] = totals.get("photos", 0) + _fetch_photos(factory, api)
                counts = run_once(factory, api, conf, worker=worker_name, clock=utcnow, pool=pool)
            except Exception:  # database gone, token endpoint down: rows stay leased, retried later
                if once:
                    raise
                log.exception("%s: delivery pass failed; retrying in 5 s", worker_name)
                if stop.wait(5):
                    break
                continue
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            if counts["claimed"]:
                log.info("%s: %s", worker_name, counts)
            if stop.is_set() or (once and counts["claimed"] < conf.batch_size):
                break
            if not counts["claimed"] and stop.wait(conf.poll_seconds):
                break
    return totals


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", type=int, help="Rows claimed at a time (default: delivery.batch_size).")
@click.option("--threads", type=int, help="Parallel API calls (default: delivery.threads).")
@click.option("--lease", type=int, help="Seconds a claimed row stays ours (default: delivery.lease_seconds).")
@click.option("--name", help="Worker name in claims and attempts (default: host:pid).")
@pass_env
def worker(env, once: bool, batch: int | None, threads: int | None, lease: int | None,
           name: str | None) -> None:
    """Deliver queued outbox rows (custom message in the 48-hour window, else template)."""
    from core.token_store import make_token_store
    from core.wechat_client import make_wechat_client
    from models.db import create_schema, make_engine, make_session_factory

    settings = env.settings
    conf = settings.delivery
    conf = replace(conf, **{k: v for k, v in (("batch_size", batch), ("threads", threads),
                                              ("lease_seconds", lease)) if v})
    if settings.sandbox:
        click.echo("sandbox mode (no WeChat credential set): messages stay in the outbox "
                   "with status 'sandbox'; nothing to deliver", err=True)
        engine = make_engine(settings.database_url)
        create_schema(engine)
        factory = make_session_factory(engine)
        tasks = _create_queued_tasks(factory, sandbox=True)
        stop = threading.Event() if once else _stop_event()
        while not once and not stop.wait(1.0):
            tasks += _create_queued_tasks(factory, sandbox=True)
        engine.dispose()
        emit({"sandbox": True, "claimed": 0, "sent": 0, "tasks": tasks})
        return
    lock = _sqlite_lock(settings)
    # PostgreSQL: results are committed without waiting for the WAL fsync; if the database server
    # itself crashes, the last few rows may be sent again after their lease, never lost.
    engine = make_engine(settings.database_url)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _async_commit)
    try:
        create_schema(engine)
    except DBAPIError:  # another worker created the same table at the same moment
        time.sleep(1)
        create_schema(engine)
    factory = make_session_factory(engine)
    store = make_token_store(settings.wechat.app_id, engine=engine, redis_url=settings.redis_url)
    api = make_wechat_client(settings, store)
    worker_name = name or f"{socket.gethostname()}:{os.getpid()}"
    totals = _loop(factory, api, conf, worker_name, once=once)
    if lock:
        lock.close()
    engine.dispose()
    emit({"worker": worker_name, **totals})


COMMANDS = (worker,)
