"""Make tests/data/release-<revision>.json: every row a released Tongxin wrote, for the upgrade test.

tests/test_migrations.py::test_release_data_survives_upgrade loads these rows into a database at the
release's schema revision and upgrades it to head. The rows are real: the released code itself
writes them (init-db --demo, CLI commands, WeChat messages through its own WeChatSim, a console
login, a scheduler catch-up, a delivery pass against its fake WeChat API), never this branch's code.

Regenerate it (or add one for a new release) from the repository root:

    git worktree add /tmp/rel RELEASE_COMMIT          # outside the repository's own worktrees
    .venv/bin/python tests/support/dump_release.py /tmp/rel tests/data/release-<revision>.json
    git worktree remove /tmp/rel

Then point RELEASE_FIXTURE / RELEASE_REVISION in tests/test_migrations.py at the new file and the
release's head revision (the script prints it). `exercise()` uses the released code's own API; if a
later release renames something it calls, adjust the step (the dump itself needs only SQLAlchemy).
The fixture 0001 came from release commit 3c997d6.

The JSON is {table: [row, ...]} with rows ordered by primary key; datetimes and dates are ISO
strings (naive UTC, as SQLite stores them), bytes are base64 strings; alembic_version is left out.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ADMIN_PASSWORD = "release-fixture-pass-0001"
APPID, SECRET = "wx-release-fixture", "release-fixture-secret"
TOKEN, SECRET_KEY = "release-fixture-token", "release-fixture-secret-key-0123456789abcdef"
MEMBER, EYE, PUBLIC = "demo-member-BSZ", "demo-sec-eye_ent", "demo-sec-public_health"
OFFICE, LOGISTICS_UNIT = "demo-office-linxi", "demo-member-LHC"
NEWCOMER = "release-fixture-newcomer"


# --- values -------------------------------------------------------------------------------------
def encode(value):
    """One column value as JSON: ISO strings for datetimes/dates, base64 for bytes."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def dump(url: str) -> dict[str, list[dict]]:
    """Every table's rows (alembic_version aside), ordered by primary key."""
    from sqlalchemy import MetaData, create_engine, select
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            out[table.name] = [{k: encode(v) for k, v in row.items()} for row in rows]
    engine.dispose()
    return out


# --- building (this branch's interpreter, the release's code in subprocesses) --------------------
def _env(var_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TONGXIN_", "DATABASE_"))}
    env.update(TONGXIN_VAR_DIR=str(var_dir), DATABASE_URL=url, PYTHONPATH="")
    env.pop("SECRET_KEY", None)
    return env


def _bot(release: Path, env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "bot.py", *args], cwd=release, env=env, input=stdin,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bot.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build(release: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tongxin-release-") as tmp:
        var_dir = Path(tmp)
        url = f"sqlite:///{var_dir / 'release.db'}"
        env = _env(var_dir, url)
        _bot(release, env, "init-db", "--demo")
        _bot(release, env, "admin", "create", "--username", "office", "--password-stdin",
             stdin=ADMIN_PASSWORD + "\n")
        _bot(release, env, "admin", "create", "--username", "viewer", "--role", "viewer", "--password-stdin",
             stdin=ADMIN_PASSWORD + "\n")
        _bot(release, env, "invite", "create", "--role", "secretary", "--branch", "eye_ent", "--deputy")
        code = json.loads(_bot(release, env, "invite", "create", "--role", "member", "--unit", "BSZ", "--json"))
        _bot(release, env, "event", "add", "--title", "全县党建工作推进会", "--at", "2026-12-20T09:30:00+08:00",
             "--notify", "secretaries", "--before", "1d,1h")
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "exercise", code["code"]],
                              cwd=release, env={**env, "PYTHONPATH": str(release)}, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"exercise failed:\n{done.stdout}\n{done.stderr}")
        print(done.stdout.strip())
        rows = dump(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print({"tables": len(rows), "empty": sorted(t for t, r in rows.items() if not r),
           "rows": sum(len(r) for r in rows.values()), "out": str(out)})


# --- exercising (the release's interpreter path: cwd and PYTHONPATH are the release checkout) -----
def exercise(invite_code: str) -> None:
    """Chat, log in, run the scheduler and a delivery pass with the release's own code."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    from bot import create_app
    from core.config import load_settings
    from tests.support.wechat_sim import WeChatSim
    settings = load_settings()
    app = create_app(settings)
    sim = WeChatSim(app.test_client(), settings.wechat.token)
    _chat(sim, invite_code)
    _console(app.test_client())
    factory = app.extensions["tongxin"].session_factory
    _scheduler(settings, factory)
    _deliver(factory)
    app.extensions["tongxin"].close()
    from models.migrate import current
    from models.db import make_engine
    print({"revision": current(make_engine(settings.database_url))})


def _number(reply: str | None) -> str:
    import re
    found = re.search(r"T-\d{4}-\d{4}", reply or "")
    if not found:
        raise SystemExit(f"no task number in {reply!r}")
    return found.group(0)


def _chat(sim, invite_code: str) -> None:
    sim.event("subscribe", NEWCOMER)
    sim.send(f"绑定 {invite_code}", NEWCOMER)
    number = _number(sim.send("我们想请县医院眼科专家来村里做一次白内障筛查", MEMBER))
    sim.image(MEMBER)  # a photo after the request: an attachment
    sim.voice("村里老人血压计坏了两台", MEMBER)
    sim.send("任务", EYE)
    sim.send(f"接单 {number}", EYE)
    sim.send(f"办结 {number} 已安排12月5日下乡筛查", EYE)
    sim.send("5 很及时", MEMBER)
    triage = _number(sim.send("有个事情想和你们商量一下，怎么办比较好", MEMBER))
    sim.send("待分派", OFFICE)
    sim.send(f"分派 {triage} 妇儿", OFFICE)
    need = _number(sim.send("村里老人想做眼底检查，能不能安排", LOGISTICS_UNIT))
    sim.send(f"需求 {need} 后勤", OFFICE)
    sim.send("义诊 2026-12-05 白沙村卫生室 接诊120 血压80 心电图30 资料200", PUBLIC)
    sim.send("确认", PUBLIC)
    sim.send("培训 12-03 城南社区卫生服务中心 参加30 慢病管理", PUBLIC)
    sim.image(PUBLIC)
    sim.send("确认", PUBLIC)
    sim.send("月报 结对活动3次，义诊2次服务126人次，培训4场，讲座1次，解决问题5个", PUBLIC)
    sim.send("确认", PUBLIC)
    sim.send("通知 2026-12-30 14:30 全体支部书记会议", OFFICE)
    sim.send("统计", OFFICE)
    sim.send("月报 结对活动2次", EYE)  # left unconfirmed: a report draft
    sim.send("讲座 12-06 柳树乡卫生院 参加40", PUBLIC)  # left unconfirmed: an activity draft


def _console(client) -> None:
    client.get("/admin/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    for password in ("wrong-password", ADMIN_PASSWORD):
        client.post("/admin/login", data={"username": "office", "password": password, "csrf_token": token},
                    environ_base={"REMOTE_ADDR": "10.0.0.1"})


def _scheduler(settings, factory) -> None:
    from scheduler.runner import Runner
    runner = Runner(settings, factory, holder="release-fixture")
    runner.check_leader()  # takes the lock and catches up every schedule, event reminders, escalations
    runner.close()


def _deliver(factory) -> None:
    """Two queued messages delivered to the release's fake WeChat API (attempts, a stored token)."""
    from core.clock import utcnow
    from core.config import load_settings
    from core.token_store import SqlTokenStore
    from core.wechat_client import make_wechat_client
    from services import outbox
    from services.delivery import run_once
    from services.delivery_conf import load_delivery_conf
    from tests.support.fake_wechat_api import FakeWeChatAPI
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        env = {**os.environ, "WECHAT_APP_ID": APPID, "WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE": api.base_url,
               "WECHAT_TOKEN": TOKEN, "SECRET_KEY": SECRET_KEY}
        settings = load_settings(environ=env)
        with factory() as session:
            for openid in (EYE, PUBLIC):
                outbox.enqueue(session, openid, "alert", "请及时处理本月诉求", now=utcnow(), sandbox=False)
            session.commit()
        engine = factory.kw["bind"]
        client = make_wechat_client(settings, SqlTokenStore(APPID, engine), timeout=5)
        run_once(factory, client, load_delivery_conf(settings), worker="release-fixture", clock=utcnow)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "exercise":
        exercise(sys.argv[2])
    elif len(sys.argv) == 3:
        build(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
    else:
        raise SystemExit(__doc__)
