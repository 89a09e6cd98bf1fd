"""Fixtures: settings on SQLite (always) and PostgreSQL (when available), the app, WeChatSim."""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import load_settings  # noqa: E402
from tests.support.wechat_sim import WeChatSim  # noqa: E402

PG_URL = os.environ.get("TONGXIN_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TONGXIN_TEST_REDIS_URL")
REQUIRE = os.environ.get("TONGXIN_REQUIRE_SERVICES") == "1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def need_service(name: str, available: bool) -> None:
    """Skip without the service, but fail when CI requires services."""
    if available:
        return
    if REQUIRE:
        pytest.fail(f"{name} is required (TONGXIN_REQUIRE_SERVICES=1) but not configured/reachable")
    pytest.skip(f"{name} not available")


def _reset_pg(url: str) -> None:
    from models.db import drop_schema, make_engine
    try:
        engine = make_engine(url)
        drop_schema(engine)
        engine.dispose()
    except Exception as exc:  # unreachable server
        need_service(f"PostgreSQL at {url} ({exc.__class__.__name__})", False)


class Clock:
    """A settable clock handed to create_app: tests move time, the app reads it."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A database of this test process's own on the PostgreSQL server (parallel runs do not collide)."""
    need_service("PostgreSQL (TONGXIN_TEST_DATABASE_URL)", bool(PG_URL))
    import psycopg
    name = f"tongxin_test_{os.getpid()}"
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        need_service(f"PostgreSQL at {PG_URL} ({exc})", False)
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        _reset_pg(url)
        return url
    return f"sqlite:///{tmp_path / 'tongxin.db'}"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tongxin.db'}"


TEST_TOKEN = "tongxin-test-token"
TEST_SECRET_KEY = "tongxin-test-secret-key-0123456789abcdef"


def with_credentials(env: dict) -> dict:
    """A run with any WeChat credential needs WECHAT_TOKEN and SECRET_KEY too: fill in test values."""
    from core.settings import is_sandbox
    return env if is_sandbox(env) else {"WECHAT_TOKEN": TEST_TOKEN, "SECRET_KEY": TEST_SECRET_KEY, **env}


def make_settings(tmp_path: Path, url: str, **env):
    base = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": url, **env}
    return load_settings(environ=with_credentials(base))


@pytest.fixture
def settings(tmp_path, db_url):
    """Every app-level test runs on SQLite and on PostgreSQL."""
    return make_settings(tmp_path, db_url)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings, clock):
    from bot import create_app
    app = create_app(settings, clock=clock)
    yield app
    app.extensions["tongxin"].close()


@pytest.fixture
def session_factory(app):
    return app.extensions["tongxin"].session_factory


@pytest.fixture
def wechat(app, settings) -> WeChatSim:
    return WeChatSim(app.test_client(), settings.wechat.token)


@pytest.fixture
def demo(app, settings, clock):
    """The demo consortium with bound demo people (demo-sec-<branch>, demo-member-<unit>, demo-office-linxi)."""
    from services import demo as demo_svc, org
    with app.extensions["tongxin"].session_factory() as session:
        org.sync_org(session, settings)
        result = demo_svc.seed(session, settings, now=clock())
        session.commit()
    return result
