"""Production serving: gunicorn with an app factory, run from `python bot.py serve`."""
from __future__ import annotations

import gc
import os
from typing import Callable

from gunicorn.app.base import BaseApplication


def prepare_worker_class(worker_class: str | None) -> None:
    """gevent: psycopg must wait through (patched) select, not its C poll loop; decided at import."""
    if worker_class == "gevent":
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")


class _App(BaseApplication):
    def __init__(self, factory: Callable, options: dict):
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        app = self._factory()
        # What start-up built (routing dictionary, models, rules) lives as long as the worker: keep
        # it out of the cyclic collector's full passes, which would otherwise walk it on every one.
        gc.collect()
        gc.freeze()
        return app


def run_gunicorn(factory: Callable, *, host: str, port: int, workers: int, threads: int = 1,
                 worker_class: str | None = None, **options) -> None:
    """Each worker builds its own app (engine, routing dictionary) after the fork."""
    opts = {"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_connections": 256,
            "worker_class": worker_class or ("gthread" if threads > 1 else "sync"), "timeout": 30,
            "accesslog": None, "errorlog": "-", "loglevel": "info", **options}
    _App(factory, opts).run()
