"""Make tests/data/release-<revision>.json: every row a released Tongxin wrote, for the upgrade test.

tests/test_migrations.py::test_release_data_survives_upgrade loads these rows into a database at the
release's schema revision and upgrades it to head. The rows are real: the released code itself
writes them (init-db --demo, CLI commands, WeChat messages through its own WeChatSim, console
requests, a scheduler catch-up, a delivery pass against its fake WeChat API), never this branch's code.

Regenerate one (or add one for a new release) from the repository root:

    git worktree add /tmp/rel RELEASE_COMMIT          # outside the repository's own worktrees
    .venv/bin/python tests/support/dump_release.py /tmp/rel tests/data/release-<revision>.json
    git worktree remove /tmp/rel

The release's head revision (read from the database init-db made, and printed) picks what runs:
RELEASES maps it to the CLI setup and the `exercise_*` function written against that release's own
API (module paths moved between releases). A new release gets its own entry; an existing one is never
changed, so its fixture stays reproducible. Then add the fixture's name and the revision to RELEASES
in tests/test_migrations.py. The dump itself needs only SQLAlchemy.
Fixtures: release-0001.json from release commit 3c997d6 (revision 0001), release-0012.json from
release commit b9f2486 (revision 0012_joint_plan).

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


def _revision(url: str) -> str:
    """The schema revision init-db left: the release's head."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    return revision


def setup_0001(release: Path, env: dict) -> list[str]:
    """Console accounts, invites (a deputy secretary, a member's multi-use code), a reminder event."""
    _bot(release, env, "admin", "create", "--username", "office", "--password-stdin",
         stdin=ADMIN_PASSWORD + "\n")
    _bot(release, env, "admin", "create", "--username", "viewer", "--role", "viewer", "--password-stdin",
         stdin=ADMIN_PASSWORD + "\n")
    _bot(release, env, "invite", "create", "--role", "secretary", "--branch", "eye_ent", "--deputy")
    code = json.loads(_bot(release, env, "invite", "create", "--role", "member", "--unit", "BSZ", "--json"))
    _bot(release, env, "event", "add", "--title", "全县党建工作推进会", "--at", "2026-12-20T09:30:00+08:00",
         "--notify", "secretaries", "--before", "1d,1h")
    return [code["code"]]


def setup_0012(release: Path, env: dict) -> list[str]:
    """What 0001 did, and the office's keyword decisions (the routing overlay: an accept, a reject)."""
    args = setup_0001(release, env)
    _bot(release, env, "keywords", "accept", "血压计", "--branch", "医技", "--consortium", "linxi")
    _bot(release, env, "keywords", "reject", "商量", "--consortium", "linxi")
    return args


def build(release: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tongxin-release-") as tmp:
        var_dir = Path(tmp)
        url = f"sqlite:///{var_dir / 'release.db'}"
        env = _env(var_dir, url)
        _bot(release, env, "init-db", "--demo")
        revision = _revision(url)
        if revision not in RELEASES:
            raise SystemExit(f"no exercise for a release at revision {revision}: add one to RELEASES")
        args = RELEASES[revision][0](release, env)
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "exercise", revision, *args],
                              cwd=release, env={**env, "PYTHONPATH": str(release)}, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"exercise failed:\n{done.stdout}\n{done.stderr}")
        print(done.stdout.strip())
        rows = dump(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print({"revision": revision, "tables": len(rows), "empty": sorted(t for t, r in rows.items() if not r),
           "rows": sum(len(r) for r in rows.values()), "bytes": out.stat().st_size, "out": str(out)})


# --- exercising (the release's interpreter path: cwd and PYTHONPATH are the release checkout) -----
def _release_path() -> None:
    """Import the release's modules, not this directory's (tests.support.* is the release's own)."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def exercise_0001(invite_code: str) -> None:
    """Chat, log in, run the scheduler and a delivery pass with the release's own code."""
    _release_path()
    from bot import create_app
    from core.settings import load_settings  # 3c997d6's module
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
    from core.settings import load_settings  # 3c997d6's module
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


# --- release b9f2486 (0012_joint_plan): services/ and handlers/ packages, 联席会议, 组织生活, yearly plans ---
SECRETARY, LOGISTICS, QSZ = "demo-sec-maternal", "demo-sec-logistics", "demo-member-QSZ"
PRESENT, ON_LEAVE = ("刘雪梅", "陈振华"), "杨春燕"  # the demo roster of 妇儿党支部 (services/demo/party.py)
ABSENT_MEMBER = "demo-pm-maternal-3"  # 杨春燕's demo WeChat


def exercise_0012(invite_code: str) -> None:
    """0001's chat and login, then joint meetings, 组织生活, yearly plans, menu tags and photo fetches."""
    _release_path()
    from bot import create_app
    from core.config import load_settings
    from tests.support.wechat_sim import WeChatSim
    settings = load_settings()
    app = create_app(settings)
    sim = WeChatSim(app.test_client(), settings.wechat.token)
    _chat(sim, invite_code)
    sim.send("绑定 NOTACODE", "release-fixture-guesser")  # a failed bind
    _chat_joint(sim, _number(sim.send("我们卫生院的B超机坏了，需要上级帮助检修", MEMBER)))
    _chat_party(sim)
    client = app.test_client()
    _console(client)
    _console_plans(client)
    factory = app.extensions["tongxin"].session_factory
    _scheduler(settings, factory)
    _deliver_0012(factory)
    app.extensions["tongxin"].close()
    from models.db import make_engine
    from models.migrate import current
    print({"revision": current(make_engine(settings.database_url))})


def _item(reply: str | None) -> str:
    import re
    found = re.search(r"D-\d{4}-\d{4}", reply or "")
    if not found:
        raise SystemExit(f"no item number in {reply!r}")
    return found.group(0)


def _expect(reply: str | None, *words: str) -> None:
    """The release answered as it does on success (a refusal would leave the fixture short)."""
    if not reply or not all(w in reply for w in words):
        raise SystemExit(f"unexpected reply {reply!r} (wanted {words})")


def _chat_joint(sim, task: str) -> None:
    """A 联席会议 scheduled, a unit's topic, decided items with progress, done, confirmed, linked to a request."""
    _expect(sim.send(f"需求 {task}", OFFICE), "需求清单")
    _expect(sim.send("会议 联席会议 12月28日 14:00 三楼会议室 第四季度联席会议", OFFICE), "已安排联席会议")
    _expect(sim.send("议题 申请派驻妇产科医生", MEMBER), "已将议题提交至联席会议")
    _expect(sim.send("议题 增加村医培训名额", QSZ), "已将议题提交至联席会议")
    unit_item = _item(sim.send("督办 白沙镇卫生院 2027-01-10 上报B超机故障及维修需求", OFFICE))
    branch_item = _item(sim.send("督办 后勤党支部 2027-01-15 为白沙镇卫生院检修B超机", OFFICE))
    _expect(sim.send(f"进展 {branch_item} 已联系厂家，下周上门", LOGISTICS), "已记录")
    _expect(sim.send(f"完成 {branch_item} 已完成检修并试机正常", LOGISTICS), "等待")
    _expect(sim.send(f"确认 {branch_item}", OFFICE), "已确认办结")
    _expect(sim.send(f"关联 {unit_item} {task}", MEMBER), "已关联诉求")
    _expect(sim.send(f"进展 {unit_item} 已联系厂家", MEMBER), "已记录")


def _chat_party(sim) -> None:
    """A branch meeting scheduled (a member asks leave), a past one recorded with attendance, minutes, a photo."""
    _expect(sim.send("会议 支委会 12月18日 15:00 三楼会议室 研究年终述职", SECRETARY), "M-")
    _expect(sim.send("请假 值夜班", ABSENT_MEMBER), "请假")
    _expect(sim.send(f"补录 支委会 12月3日 15:00 会议室 学习党章 到：{'、'.join(PRESENT)} 请假：{ON_LEAVE}",
                     SECRETARY), "M-")
    _expect(sim.send("纪要 传达学习十二月中心组材料，讨论年度计划", SECRETARY), "共")
    sim.image(SECRETARY)  # right after the 纪要: the meeting's photo


def _console_plans(client) -> None:
    """The office (logged in) edits 妇儿党支部's yearly plan and saves its year-end 述职评议."""
    from core.clock import utcnow
    client.get("/admin/")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    year = utcnow().year
    plan = {"themes": "学习党章\n重温入党誓词", "topics": "医德医风\n廉洁行医", "pairing": "4", "clinics": "2",
            "points": "一、抓学习；二、抓结对", "csrf_token": token}
    for path, form in ((f"/admin/plans/maternal?year={year}", plan),
                       (f"/admin/plans/maternal/review?year={year}",
                        {"text": "妇儿党支部年度述职\n全年召开支委会若干次，已补充不足。", "csrf_token": token})):
        if client.post(path, data=form).status_code != 302:
            raise SystemExit(f"console POST {path} refused")


def _deliver_0012(factory) -> None:
    """Menus pushed (tags stored, tagging queued), two alerts and the tags delivered, the new photos fetched."""
    from core.clock import utcnow
    from core.config import load_settings
    from core.token_store import SqlTokenStore
    from core.wechat_client import make_wechat_client
    from services.demo.party import tiny_png
    from services.meetings.media import fetch_due
    from services.menu.push import push
    from services.messages import outbox
    from services.messages.delivery import run_once
    from tests.support.fake_wechat_api import FakeWeChatAPI
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        env = {**os.environ, "WECHAT_APP_ID": APPID, "WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE": api.base_url,
               "WECHAT_TOKEN": TOKEN, "SECRET_KEY": SECRET_KEY}
        settings = load_settings(environ=env)
        engine = factory.kw["bind"]
        client = make_wechat_client(settings, SqlTokenStore(APPID, engine), timeout=5)
        with factory() as session:
            push(session, client, settings.menu, now=utcnow())
            for openid in (EYE, PUBLIC):
                outbox.enqueue(session, openid, "alert", "请及时处理本月诉求", now=utcnow(), sandbox=False)
            session.commit()
        run_once(factory, client, settings.delivery, worker="release-fixture", clock=utcnow)
        api.add_media("m1", tiny_png((185, 28, 28)), "image/png")
        fetch_due(factory, client, clock=utcnow)


# head revision of a release -> (CLI setup in subprocesses, returning the exercise's arguments; exercise)
RELEASES = {"0001": (setup_0001, exercise_0001), "0012_joint_plan": (setup_0012, exercise_0012)}


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "exercise":
        RELEASES[sys.argv[2]][1](*sys.argv[3:])
    elif len(sys.argv) == 3:
        build(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
    else:
        raise SystemExit(__doc__)
