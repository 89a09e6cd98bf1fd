"""Production serving: gunicorn with an app factory, run from `python bot.py serve`."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Callable

from gunicorn.app.base import BaseApplication


def prepare_worker_class(worker_class: str | None) -> None:
    """gevent: psycopg must wait through (patched) select, not its C poll loop; decided at import."""
    if worker_class == "gevent":
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")


ROOT = Path(__file__).resolve().parent.parent
# The interpreter `serve --worker-class gevent` runs in: gevent patches before anything imports ssl.
GEVENT_BOOT = ("from gevent import monkey; monkey.patch_all()\n"
               "import sys; sys.path.insert(0, {root!r})\n"
               "import bot; sys.exit(bot.main(sys.argv[1:]))")


def restart_patched_by_gevent(args: list[str]) -> None:
    """Replace this process (same pid) by one that patches with gevent first, running `bot.py <args>`.

    gunicorn's gevent worker patches only after the fork, when the master has long imported ssl,
    urllib3 and threading: gevent warns that ssl is patched too late (urllib3 keeps the unpatched
    SSLContext, so HTTPS from a worker could block its loop) and logging's locks stay unpatched.
    Returns at once when this process is already patched.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("ssl"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-c", GEVENT_BOOT.format(root=str(ROOT)), *args])


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
