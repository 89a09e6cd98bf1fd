"""One intake rule, two speeds: the full path and the fast lane answer alike, in every intake mode."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from core.config import load_settings
from handlers import texts
from models.message import InboundMessage
from models.org import Person
from models.outbox import OutboxMessage
from models.task import Task
from services.demo import seed as demo_svc
from services.org import structure as org
from services.org import people
from tests.conftest import _reset_pg
from tests.support.wechat_sim import WeChatSim

ROUTED = "我们的B超机坏了开不了机，麻烦后勤来修一下"
TRIAGE = "我想问一下这个事情怎么办呢"


def _build(settings, clock, intake: str = "sync"):
    from bot import create_app
    return create_app(settings, clock=clock, intake=intake)


def _seed(app, settings, clock) -> str:
    """Demo people; returns a member invite code of unit LSX."""
    with app.extensions["tongxin"].session_factory() as s:
        org.sync_org(s, settings)
        demo_svc.seed(s, settings, now=clock())
        cons = org.consortium_by_code(s, None)
        code = people.create_invite(s, role="member", consortium=cons, unit=org.find_unit(s, "LSX"),
                                    now=clock(), ttl_days=7).code
        s.commit()
    return code


def _tasks(factory) -> list[Task]:
    with factory() as s:
        return list(s.scalars(select(Task).order_by(Task.id)).all())


# --- one script through every intake mode -------------------------------------------------------

FIRST = [("demo-member-BSZ", ROUTED), ("demo-member-QSZ", "你好"), ("demo-member-HTX", TRIAGE),
         ("demo-member-CNSQ", "眼睛看东西模糊"), ("demo-member-BSZ", "5"), ("stranger-1", "想请专家来村里看看"),
         ("stranger-1", "眼睛看东西模糊"), ("stranger-2", "谢谢"), ("demo-sec-eye_ent", "你好")]
THEN = [("demo-member-BSZ", "我的诉求"), ("stranger-1", "绑定 {code}"), ("stranger-1", "我的诉求"),
        ("demo-member-HTX", "帮助")]


def _number_free(text: str) -> str:
    return re.sub(r"T-\d{4}-\d{4,}", "T-#", text or "")


def _settle(app, mode: str, settings) -> None:
    """Let the queued requests become tasks the way each mode does it."""
    factory = app.extensions["tongxin"].session_factory
    if mode == "worker":  # what `serve --intake worker` relies on: `bot.py worker` (sandbox: tasks only)
        from click.testing import CliRunner
        from bot import cli
        result = CliRunner().invoke(cli, ["worker", "--once"], env={
            "DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(settings.var_dir)})
        assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with factory() as s:
            if not s.scalars(select(InboundMessage.id).where(InboundMessage.status == "task_queued")).all():
                return
        time.sleep(0.05)
    raise AssertionError(f"{mode}: queued requests never became tasks")


def _run_script(settings, clock, mode: str) -> dict:
    app = _build(settings, clock, mode)
    try:
        code = _seed(app, settings, clock)
        wechat = WeChatSim(app.test_client(), settings.wechat.token)
        replies = [wechat.send(text, user=user) for user, text in FIRST]
        _settle(app, mode, settings)
        replies += [wechat.send(text.format(code=code), user=user) for user, text in THEN]
        factory = app.extensions["tongxin"].session_factory
        with factory() as s:
            tasks = sorted((t.text, t.requester.openid, t.branch.code if t.branch else None, t.status,
                            t.routing["branch"]) for t in s.scalars(select(Task)).all())
            notes = sorted((m.to_openid, m.kind, _number_free(m.text))
                           for m in s.scalars(select(OutboxMessage)).all())
            strangers = s.scalars(select(Person.openid).where(Person.openid.like("stranger-%"))).all()
        return {"replies": [_number_free(r) for r in replies], "tasks": tasks, "notes": notes,
                "strangers_with_rows": sorted(strangers)}
    finally:
        app.extensions["tongxin"].close()


def test_every_intake_mode_answers_and_records_alike(settings, clock, tmp_path):
    results = {}
    for i, mode in enumerate(("off", "sync", "thread", "worker")):
        if settings.database_url.startswith("sqlite"):
            mode_settings = load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path / mode),
                                                   "DATABASE_URL": f"sqlite:///{tmp_path / mode}.db"})
        else:
            _reset_pg(settings.database_url)
            mode_settings = settings
        results[mode] = _run_script(mode_settings, clock, mode)
    reference = results.pop("off")  # the full path alone
    assert texts.SMALL_TALK in reference["replies"] and texts.UNBOUND_STORED in reference["replies"]
    assert len(reference["tasks"]) == 4 and reference["notes"]
    for mode, result in results.items():
        for key in ("replies", "tasks", "notes"):
            assert result[key] == reference[key], (mode, key)
        assert result["strangers_with_rows"] == ["stranger-1"]  # the one who bound; no row per stranger text


# --- the error path -----------------------------------------------------------------------------

def test_a_failure_in_the_fast_lane_gets_the_polite_error_reply(app, wechat, demo, session_factory, monkeypatch):
    state = app.extensions["tongxin"]

    def broken(*args):
        raise RuntimeError("a bug in the reply")

    monkeypatch.setattr(state.fast_lane, "_request_reply", broken)
    assert wechat.send(ROUTED, user="demo-member-BSZ") == texts.ERROR  # HTTP 500 and no reply before
    with session_factory() as s:
        row = s.scalars(select(InboundMessage)).one()
        assert (row.status, row.reply) == ("error", texts.ERROR)
        assert s.scalars(select(Task)).all() == []
    assert state.metrics.value("tongxin_handler_errors_total") == 1


def test_fast_lane_requests_are_logged_and_counted_like_full_path_ones(app, wechat, demo, caplog):
    state = app.extensions["tongxin"]
    with caplog.at_level(logging.INFO, logger="tongxin.webhook"):
        reply = wechat.send(ROUTED, user="demo-member-BSZ")
    number = re.search(r"T-\d{4}-\d{4}", reply).group(0)
    assert state.metrics.value("tongxin_inbound_total", outcome="fast_lane") == 1
    assert state.metrics.value("tongxin_routing_decisions_total", branch="logistics") == 1
    handled = [r for r in caplog.records if r.getMessage() == "message handled"]
    assert [(r.outcome, r.task) for r in handled] == [("task_queued", number)]


# --- strangers ----------------------------------------------------------------------------------

def test_strangers_are_answered_on_the_fast_lane_without_people_rows(app, wechat, session_factory):
    state = app.extensions["tongxin"]
    for i in range(5):
        assert wechat.send(f"我们卫生院的B超机坏了{i}", user=f"flood-{i}") == texts.UNBOUND_STORED
    assert state.metrics.value("tongxin_inbound_total", outcome="fast_lane") == 5
    with session_factory() as s:
        assert s.scalars(select(Person)).all() == []
        assert {r.status for r in s.scalars(select(InboundMessage)).all()} == {"pending_bind"}


def test_pending_messages_become_one_request_after_binding(app, settings, clock, wechat, session_factory):
    code = _seed(app, settings, clock)
    sent = [f"第{i}条：我们卫生院的B超机坏了，开不了机" for i in range(21)]
    for text in sent:
        assert wechat.send(text, user="newcomer") == texts.UNBOUND_STORED
    reply = wechat.send(f"绑定 {code}", user="newcomer")
    assert "21 条消息已一并提交" in reply and reply.count("T-") == 3  # one number, shown three times
    with session_factory() as s:
        task = s.scalars(select(Task)).one()  # was 21 tasks
        assert task.text == "\n".join(sent) and task.unit.code == "LSX"
        rows = s.scalars(select(InboundMessage).where(InboundMessage.openid == "newcomer",
                                                      InboundMessage.msg_type == "text")).all()
        assert [(r.status, r.task_id) for r in rows[:-1]] == [("task", task.id)] * 21


def test_pending_greetings_alone_make_no_request(app, settings, clock, wechat, session_factory):
    code = _seed(app, settings, clock)
    wechat.send("你好", user="shy")
    reply = wechat.send(f"绑定 {code}", user="shy")
    assert "一并提交" not in reply and "柳树乡卫生院" in reply
    assert _tasks(session_factory) == []


# --- identity changes reach every process at once -----------------------------------------------

@pytest.fixture
def second_app(settings, clock):
    """Another web process on the same database (its own fast lane and identity cache)."""
    other = _build(settings, clock)
    yield other
    other.extensions["tongxin"].close()


def test_unbind_by_chat_is_seen_at_once_by_another_process(app, second_app, settings, clock, wechat,
                                                           session_factory):
    code = _seed(app, settings, clock)
    other = WeChatSim(second_app.test_client(), settings.wechat.token)
    wechat.send(f"绑定 {code}", user="doc")
    assert "T-" in other.send(ROUTED, user="doc")          # the other process caches "doc" as a member
    assert "已解除绑定" in wechat.send("解绑", user="doc")
    assert other.send(ROUTED + "。", user="doc") == texts.UNBOUND_STORED   # at once, not 30 s later
    assert len(_tasks(session_factory)) == 1


def test_unbind_in_the_console_is_seen_at_once_by_every_process(app, second_app, settings, clock, wechat,
                                                               session_factory):
    from services.org import accounts as admin_accounts
    from tests.test_admin import PASSWORD, csrf, login
    _seed(app, settings, clock)
    with session_factory() as s:
        admin_accounts.create_account(s, "office", PASSWORD, role="office", now=clock())
        person_id = s.scalar(select(Person.id).where(Person.openid == "demo-member-BSZ"))
        s.commit()
    other = WeChatSim(second_app.test_client(), settings.wechat.token)
    assert "T-" in wechat.send(ROUTED, user="demo-member-BSZ")
    assert "已补充到 T-" in other.send(ROUTED + "！", user="demo-member-BSZ")  # the same burst, another process
    console = app.test_client()
    assert login(console).status_code == 302
    resp = console.post(f"/admin/people/{person_id}/unbind", data={"csrf_token": csrf(console)})
    assert resp.status_code == 302
    for sim in (wechat, other):
        assert sim.send(ROUTED + "？", user="demo-member-BSZ") == texts.UNBOUND_STORED
    assert len(_tasks(session_factory)) == 1


def test_a_role_change_is_seen_at_once(app, second_app, settings, clock, wechat, demo, session_factory):
    other = WeChatSim(second_app.test_client(), settings.wechat.token)
    assert "T-" in other.send(ROUTED, user="demo-member-QSZ")
    with session_factory() as s:  # e.g. made a secretary by hand (CLI, console, seeding)
        person = s.scalar(select(Person).where(Person.openid == "demo-member-QSZ"))
        person.role, person.unit_id = "secretary", None
        person.branch_id = org.branch_by_code(s, person.consortium_id, "surgery").id
        s.commit()
    assert "没有看懂" in other.send(ROUTED, user="demo-member-QSZ")   # a secretary's free text is no request
    assert len(_tasks(session_factory)) == 1


# --- the office's name comes from config ---------------------------------------------------------

@pytest.fixture
def renamed(tmp_path, db_url, clock):
    """config.yaml with linxi's office called 党群工作部."""
    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text(encoding="utf-8"))
    for cons in raw["consortia"]:
        cons["office_name"] = "党群工作部"
    settings = load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": db_url},
                             overrides={"consortia": raw["consortia"]})
    app = _build(settings, clock)
    yield app, settings
    app.extensions["tongxin"].close()


def test_office_name_from_config_reaches_every_reply(renamed, clock):
    app, settings = renamed
    _seed(app, settings, clock)
    wechat = WeChatSim(app.test_client(), settings.wechat.token)
    fast = wechat.send(TRIAGE, user="demo-member-BSZ")
    assert "已转党群工作部分派" in fast
    listing = wechat.send("我的诉求", user="demo-member-BSZ")
    assert "党群工作部" in listing and "党委办公室" not in listing
    routed = wechat.send(ROUTED, user="demo-member-HTX")
    number = re.search(r"T-\d{4}-\d{4}", routed).group(0)
    wechat.send(f"接单 {number}", user="demo-sec-logistics")
    assert wechat.send(f"退回 {number} 不归我们管", user="demo-sec-logistics") == f"已将 {number} 退回党群工作部。"
    with app.extensions["tongxin"].session_factory() as s:
        office = org.consortium_by_code(s, None)
        code = people.create_invite(s, role="office", consortium=office, now=clock(), ttl_days=7).code
        s.commit()
        notes = [m.text for m in s.scalars(select(OutboxMessage)).all()]
    assert "党群工作部工作人员" in wechat.send(f"绑定 {code}", user="clerk")
    assert notes and not any("党委办公室" in n for n in notes)
