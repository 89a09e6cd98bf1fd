"""Alembic migrations: they agree with the models, and they carry a previous release's data to head.

Each release fixture (tests/data/release-<revision>.json, made by tests/support/dump_release.py from
that release's own code) is loaded into a database at the release's revision, which is then upgraded
to head: every row must come through with the same primary key and the same values, new columns hold
their server defaults, and the app works on the result.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (JSON, Boolean, Date, DateTime, Engine, Integer, LargeBinary, MetaData, cast, literal_column,
                        select, text)

from models.db import create_schema, make_engine
from models.migrate import alembic_config, current, differences, head
from tests.conftest import Clock, make_settings
from tests.support.dump_release import ADMIN_PASSWORD, MEMBER, encode
from tests.support.wechat_sim import WeChatSim
from tests.test_admin import login

DATA = Path(__file__).parent / "data"
# tests/data/release-<name>.json -> the schema revision of the shipped release that wrote it
RELEASES = {"0001": "0001",                # commit 3c997d6
            "0012": "0012_joint_plan"}     # commit b9f2486
# (table, column) added after the release that a migration fills from old data on purpose, not with a
# server default: that migration's own test checks the values. Anything else new must hold its default.
BACKFILLED: set[tuple[str, str]] = set()


def test_migrations_match_models(empty_db_url):
    engine = make_engine(empty_db_url)
    assert current(engine) is None  # really empty: the whole chain runs below
    create_schema(engine)
    assert current(engine) == head()
    assert differences(engine) == []
    create_schema(engine)  # a second run changes nothing
    assert current(engine) == head()
    engine.dispose()


# --- the release's data, upgraded --------------------------------------------------------------
def upgrade_to(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), revision)


def reflect(engine: Engine) -> MetaData:
    meta = MetaData()
    meta.reflect(engine)
    meta.remove(meta.tables["alembic_version"])
    return meta


def decode(column, value):
    """A fixture value (JSON) as the column's Python value."""
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=timezone.utc) if column.type.timezone else moment
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, Boolean):
        return bool(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def normalize(value):
    """A read-back value in the fixture's form (aware datetimes as naive UTC, like SQLite stores them)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return encode(value)


def load_release_rows(engine: Engine, rows: dict[str, list[dict]]) -> MetaData:
    """Insert the fixture into the reflected release schema, parents first; PostgreSQL sequences follow."""
    meta = reflect(engine)
    assert set(rows) == set(meta.tables), "the fixture and the release schema name the same tables"
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), [{k: decode(table.c[k], v) for k, v in row.items()}
                                              for row in rows[table.name]])
        if conn.dialect.name == "postgresql":
            reset_sequences(conn, meta)
    return meta


def reset_sequences(conn, meta: MetaData) -> None:
    """Each serial key's sequence continues after the explicit ids just inserted."""
    for table in meta.sorted_tables:
        for pk in (c for c in table.primary_key.columns if isinstance(c.type, Integer)):
            conn.execute(text(
                f"SELECT setval(seq, (SELECT COALESCE(MAX(\"{pk.name}\"), 0) + 1 FROM \"{table.name}\"), false) "
                f"FROM pg_get_serial_sequence('\"{table.name}\"', '{pk.name}') AS seq WHERE seq IS NOT NULL"))


def changed_rows(engine: Engine, meta: MetaData, rows: dict[str, list[dict]]) -> list[str]:
    """Each fixture row missing at head, or with a column whose value differs (empty: all kept)."""
    problems: list[str] = []
    with engine.connect() as conn:
        for name, expected in rows.items():
            table = meta.tables[name]
            keys = [c.name for c in table.primary_key.columns]
            found = {tuple(r[k] for k in keys): r for r in conn.execute(select(table)).mappings()}
            for row in expected:
                got = found.get(tuple(row[k] for k in keys))
                if got is None:
                    problems.append(f"{name} {[row[k] for k in keys]}: row lost")
                    continue
                problems += [f"{name} {[row[k] for k in keys]}.{col}: {value!r} -> {normalize(got.get(col))!r}"
                             for col, value in row.items() if col not in got or normalize(got[col]) != value]
    return problems


def default_problems(engine: Engine, before: MetaData, after: MetaData) -> list[str]:
    """Columns added to a release table whose old rows do not hold the server default (or NULL)."""
    problems: list[str] = []
    with engine.connect() as conn:
        for name, old in before.tables.items():
            table = after.tables[name]
            for column in (c for c in table.columns if c.name not in old.c and (name, c.name) not in BACKFILLED):
                wanted = server_default(conn, column)
                wrong = [v for v in conn.scalars(select(column)) if v != wanted]  # JSON values are unhashable
                if wrong:
                    problems.append(f"{name}.{column.name}: {len(wrong)} rows hold {wrong[0]!r}, "
                                    f"not the default {wanted!r}")
    return problems


def server_default(conn, column):
    """What a new column's server default puts in old rows: NULL without one; a clock default is any time."""
    if column.server_default is None:
        return None
    arg = column.server_default.arg
    sql = str(getattr(arg, "text", arg))
    if re.search(r"now|current_", sql, re.I):
        return next(iter(conn.scalars(select(column).limit(1))), None) or "a time"
    if isinstance(column.type, JSON):  # SQLite's CAST(... AS JSON) is numeric: read the text, parse it
        value = conn.scalar(select(literal_column(sql)))
        return json.loads(value) if isinstance(value, str) else value
    return conn.scalar(select(cast(literal_column(sql), column.type)))


@pytest.mark.parametrize("release", RELEASES)
def test_upgrade_needs_no_downgrade(release):
    """The release's revision is an ancestor of the one head: upgrading never passes a downgrade."""
    revision = RELEASES[release]
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head()]
    path = [rev.revision for rev in script.iterate_revisions(head(), revision, inclusive=True)]
    assert path[0] == head() and path[-1] == revision


@pytest.mark.pg
@pytest.mark.parametrize("release", RELEASES)
def test_release_data_survives_upgrade(release, empty_db_url, tmp_path):
    rows = json.loads((DATA / f"release-{release}.json").read_text(encoding="utf-8"))
    engine = make_engine(empty_db_url)
    upgrade_to(engine, RELEASES[release])
    before = load_release_rows(engine, rows)

    upgrade_to(engine, "head")  # the way `create_schema` does it, straight up, no downgrade on the way
    assert current(engine) == head()
    after = reflect(engine)
    assert set(before.tables) <= set(after.tables), "a release table was dropped"
    changed = changed_rows(engine, after, rows)
    assert not changed, f"{len(changed)} release values lost or changed:\n" + "\n".join(changed[:20])
    defaults = default_problems(engine, before, after)
    assert not defaults, "\n".join(defaults)
    engine.dispose()
    assert_app_works_on(make_settings(tmp_path, empty_db_url), rows)


def assert_app_works_on(settings, rows: dict[str, list[dict]]) -> None:
    """The upgraded release data serves the webhook, the ledger and the console, a day after the last request
    (not within its burst window: the new message is a request of its own)."""
    from bot import create_app
    from services.tasks import ledger
    last = max(datetime.fromisoformat(t["created_at"]) for t in rows["tasks"]).replace(tzinfo=timezone.utc)
    app = create_app(settings, clock=Clock(last + timedelta(days=1)))
    try:
        member = next(p for p in rows["people"] if p["openid"] == MEMBER)
        done = next(t for t in rows["tasks"] if t["requester_id"] == member["id"] and t["status"] == "resolved")
        wechat = WeChatSim(app.test_client(), settings.wechat.token)
        shown = wechat.send(f"进度 {done['number']}", user=MEMBER)
        assert done["number"] in shown and done["resolution_note"] in shown
        unit_items = [i["number"] for i in rows.get("joint_items", []) if i["owner_unit_id"] == member["unit_id"]]
        if unit_items:  # from release 0012 on the member is its unit's contact for 联席会议 items
            listed = wechat.send("督办", user=MEMBER)
            assert all(number in listed for number in unit_items), listed
        filed = wechat.send("村卫生室需要县医院派心电图医生来培训", user=MEMBER)
        numbers = {t["number"] for t in rows["tasks"]}
        new = re.search(r"T-\d{4}-\d{4}", filed or "")
        assert new and new.group(0) not in numbers, filed  # counter and sequences continue past the release's rows
        with app.extensions["tongxin"].session_factory() as session:
            assert ledger.count(session, ledger.LedgerFilter(), settings.tz) == len(rows["tasks"]) + 1
        client = app.test_client()
        assert login(client, "office", ADMIN_PASSWORD).status_code == 302
        assert client.get("/admin/").status_code == 200
        branches = {b["id"]: b["code"] for b in rows["branches"]}
        for plan in (p for p in rows.get("joint_year_plans", []) if p["themes"]):  # edited on the console
            page = client.get(f"/admin/plans/{branches[plan['branch_id']]}?year={plan['year']}").get_data(as_text=True)
            assert all(theme in page for theme in plan["themes"] + plan["topics"]), plan
    finally:
        app.extensions["tongxin"].close()
