"""Fixtures: settings on SQLite (always) and PostgreSQL (when available), the app, WeChatSim.

Every test starts from a migrated, empty database: SQLite copies a template file migrated once per
process; PostgreSQL empties the tables of one migrated database per process (`clean_pg`). The
PostgreSQL twin of a `db_url` test runs when the test is marked `pg` (its SQL differs by dialect:
storage, locking, group commit, claims, migrations) or when TONGXIN_PG_ALL=1, as `.ci/run` sets.
"""
from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_settings  # noqa: E402
from tests.support.wechat_sim import WeChatSim  # noqa: E402

PG_URL = os.environ.get("TONGXIN_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TONGXIN_TEST_REDIS_URL")
REQUIRE = os.environ.get("TONGXIN_REQUIRE_SERVICES") == "1"
PG_ALL = os.environ.get("TONGXIN_PG_ALL") == "1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def need_service(name: str, available: bool) -> None:
    """Skip without the service, but fail when CI requires services."""
    if available:
        return
    if REQUIRE:
        pytest.fail(f"{name} is required (TONGXIN_REQUIRE_SERVICES=1) but not configured/reachable")
    pytest.skip(f"{name} not available")


def _reset_pg(url: str) -> None:
    """Drop everything in the PostgreSQL test database (the next `db_url` migrates it again)."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")  # a run killed mid-reset leaves none
            conn.execute("CREATE SCHEMA public")
    except psycopg.OperationalError as exc:  # unreachable server
        need_service(f"PostgreSQL at {url} ({exc.__class__.__name__})", False)


def clean_pg(url: str) -> None:
    """Bring the PostgreSQL test database to the newest migration with every table empty.

    Migrating takes about a second; emptying a migrated database takes a few milliseconds, so the
    schema is migrated only when a test dropped or changed it. A connection that a previous test
    left holding locks is ended after 5 s instead of hanging the run.
    """
    from models.migrate import head
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '5s'")
        if _pg_revision(conn) != head():
            _reset_pg(url)
            from models.db import create_schema, make_engine
            engine = make_engine(url)
            create_schema(engine)
            engine.dispose()
            return
        try:
            _empty_pg_tables(conn)
        except psycopg.errors.LockNotAvailable:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            _empty_pg_tables(conn)


def _pg_revision(conn) -> str | None:
    if conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _empty_pg_tables(conn) -> None:
    """DELETE every row (children first) and restart the sequences, in one transaction."""
    import models.all  # noqa: F401
    from models.base import Base
    order = {t.name: i for i, t in enumerate(reversed(Base.metadata.sorted_tables))}
    tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                         "AND tablename <> 'alembic_version'")]
    sequences = [r[0] for r in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")]
    sql = "".join(f'DELETE FROM "{t}";' for t in sorted(tables, key=lambda t: order.get(t, -1)))
    sql += "".join(f'ALTER SEQUENCE "{s}" RESTART;' for s in sequences)
    with conn.transaction():
        conn.execute(sql)


class Clock:
    """A settable clock handed to create_app: tests move time, the app reads it."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL twin of a `db_url` test runs only when marked `pg` (SQL that differs by
    dialect), unless TONGXIN_PG_ALL=1 (`.ci/run`) asks for every one."""
    if PG_ALL:
        return
    keep, skip = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        twin = callspec is not None and callspec.params.get("db_url") == "postgresql"
        (skip if twin and item.get_closest_marker("pg") is None else keep).append(item)
    if skip:
        config.hook.pytest_deselected(items=skip)
        items[:] = keep


PG_SLOT_LOCK = 7_274_002  # advisory lock class: one test process per slot database


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A database of this test process's own on the PostgreSQL server (parallel runs do not collide).

    Parallel runs take different slots (`tongxin_test_slot<N>`, held by an advisory lock). A slot's
    database is kept for the next run: dropping a database forces a server checkpoint, which took
    up to 40 s on a busy shared server, and `db_url` starts every test from a clean state anyway.
    """
    need_service("PostgreSQL (TONGXIN_TEST_DATABASE_URL)", bool(PG_URL))
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        conn = psycopg.connect(admin, autocommit=True)
    except psycopg.OperationalError as exc:
        need_service(f"PostgreSQL at {PG_URL} ({exc})", False)
    with conn:
        slot = next(n for n in range(1000) if conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (PG_SLOT_LOCK, n)).fetchone()[0])
        name = f"tongxin_test_slot{slot}"
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f"CREATE DATABASE {name}")
        yield admin.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per test process; each test starts from a copy of it."""
    from models.db import create_schema, make_engine
    path = tmp_path_factory.mktemp("template") / "tongxin.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """A migrated, empty database: a fresh SQLite file, and (marked `pg` or TONGXIN_PG_ALL=1) PostgreSQL."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        clean_pg(url)
        return url
    return request.getfixturevalue("sqlite_url")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_db_url(request, tmp_path) -> str:
    """A database without any table (migration tests)."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        _reset_pg(url)
        return url
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """A migrated, empty SQLite database of this test's own (a copy of the template)."""
    path = tmp_path / "tongxin.db"
    if not path.exists():
        shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def config_yaml() -> dict:
    """The repository's config.yaml as plain data (for tests that extend a section)."""
    import yaml
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


TEST_TOKEN = "tongxin-test-token"
TEST_SECRET_KEY = "tongxin-test-secret-key-0123456789abcdef"


def with_credentials(env: dict) -> dict:
    """A run with any WeChat credential needs WECHAT_TOKEN and SECRET_KEY too: fill in test values."""
    from core.config import is_sandbox
    return env if is_sandbox(env) else {"WECHAT_TOKEN": TEST_TOKEN, "SECRET_KEY": TEST_SECRET_KEY, **env}


def make_settings(tmp_path: Path, url: str, **env):
    base = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": url, **env}
    return load_settings(environ=with_credentials(base))


@pytest.fixture
def settings(tmp_path, db_url):
    """App-level settings on `db_url`: SQLite, and PostgreSQL for tests marked `pg` (all with TONGXIN_PG_ALL=1)."""
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
    from services.demo import seed as demo_svc
    from services.org import structure as org
    with app.extensions["tongxin"].session_factory() as session:
        org.sync_org(session, settings)
        result = demo_svc.seed(session, settings, now=clock())
        session.commit()
    return result


@pytest.fixture(autouse=True, scope="session")
def _quiet_test_servers():
    """Browser tests serve the app with werkzeug in threads; their access log is noise (and outlives capture)."""
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
