"""Headless Chromium for browser tests: Debian's package (installed with apt when absent), never a download."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import need_service

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def _has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


def _ensure_chromium() -> bool:
    """Debian's chromium (and a CJK font, so screenshots show Chinese), installed with apt when absent."""
    missing = [pkg for pkg, ok in (("chromium", CHROMIUM.exists()), ("fonts-noto-cjk", _has_cjk_font())) if not ok]
    if missing and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env, check=False, timeout=900)
    return CHROMIUM.exists()


@pytest.fixture(scope="module")
def browser():
    need_service("chromium (/usr/bin/chromium)", _ensure_chromium())
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_service("playwright (pip)", False)
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield instance
        instance.close()


def demo_app(tmp_path, db_url: str, password: str):
    """The real app with the demo consortium (a month of requests) and an office account `office`."""
    from bot import create_app
    from services.demo import seed as demo
    from services.org import accounts as admin_accounts
    from services.org import structure as org
    from tests.conftest import make_settings
    settings = make_settings(tmp_path, db_url)
    now = datetime.now(timezone.utc)
    app = create_app(settings)
    with app.extensions["tongxin"].session_factory() as session:
        org.sync_org(session, settings)
        demo.seed(session, settings, now=now, requests=True)
        admin_accounts.create_account(session, "office", password, now=now)
        session.commit()
    return app


@contextmanager
def served(app):
    """`app` served by werkzeug on a free local port; yields its base URL."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
