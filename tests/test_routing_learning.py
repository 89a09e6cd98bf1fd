"""The office teaches the router: corrections -> suggestion with replayed effect -> accept -> every web
process routes the word (LiveRules), undo, reject; console roles and CSRF; the keywords CLI."""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import routing
from bot import cli, create_app
from models.org import Consortium
from services.routing import learning
from services.org import accounts as admin_accounts
from tests.support.wechat_sim import WeChatSim

NOW = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)
PASSWORD = "correct-horse-9"
NUMBER = re.compile(r"T-\d{4}-\d{4}")
MEMBERS = ("demo-member-BSZ", "demo-member-QSZ")
OFFICE = "demo-office-linxi"
DEVICE = "层析仪"
UNKNOWN = ["新买的层析仪不会操作，谁能来教一下", "层析仪结果怎么解读", "层析仪放在哪个房间比较合适"]
ROUTED_ELSEWHERE = "层析仪需要多久保养一次"  # logistics today (保养); the word makes it a tie -> triage
FOURTH = "层析仪操作流程谁能培训一下"


@pytest.fixture
def settings(settings):
    """Bursts off: here one member sends several distinct requests seconds apart (see test_conversation)."""
    return dataclasses.replace(settings, tasks=dataclasses.replace(settings.tasks, burst_minutes=1e-9))


@pytest.fixture(autouse=True)
def a_moment_between_messages(clock, monkeypatch):
    """Each message a millisecond after the one before (longer than the burst window above)."""
    send = WeChatSim.send

    def later(self, *args, **kwargs):
        clock.now += timedelta(milliseconds=1)
        return send(self, *args, **kwargs)
    monkeypatch.setattr(WeChatSim, "send", later)


@pytest.fixture
def console(app, settings, clock, demo, session_factory):
    clock.now = NOW
    with session_factory() as session:
        admin_accounts.create_account(session, "office", PASSWORD, role="office", now=NOW)
        admin_accounts.create_account(session, "viewer", PASSWORD, role="viewer", now=NOW)
        session.commit()
    return app


def login(client, username: str = "office"):
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token(client)})
    assert response.status_code == 302
    return client


def token(client) -> str:
    with client.session_transaction() as sess:
        return sess["csrf"]


def cli_run(settings, *args: str):
    env = {"DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(settings.var_dir)}
    return CliRunner().invoke(cli, list(args), env=env)


def send(wechat: WeChatSim, text: str, user: str = MEMBERS[0]) -> tuple[str, str]:
    reply = wechat.send(text, user=user)
    return NUMBER.search(reply).group(0), reply


def routed_to_medtech(reply: str) -> bool:
    return "已转医技党支部办理" in reply


def triaged(reply: str) -> bool:
    return "已转党委办公室分派" in reply


@pytest.mark.pg
def test_office_teaches_the_router_and_every_process_learns(console, settings, clock, wechat):
    # a second web process on the same database, started now, checking the overlay every 5 s
    quick = dataclasses.replace(settings, routing=dataclasses.replace(settings.routing, overlay_refresh_seconds=5))
    other_app = create_app(quick, clock=clock, intake="off")
    other = WeChatSim(other_app.test_client(), settings.wechat.token)
    try:
        # three requests naming an unknown device stay in triage; the office assigns them to 医技党支部
        numbers = []
        for i, text in enumerate(UNKNOWN):
            number, reply = send(wechat, text, MEMBERS[i % 2])
            assert triaged(reply), reply
            numbers.append(number)
        elsewhere, reply = send(wechat, ROUTED_ELSEWHERE)
        assert "后勤" in reply
        for number in numbers[:2]:
            assert "医技党支部" in wechat.send(f"分派 {number} 医技", user=OFFICE)
        office = login(console.test_client())
        assert office.post(f"/admin/tasks/{numbers[2]}/reassign",
                           data={"branch": "医技", "csrf_token": token(office)}).status_code == 302

        # the suggestion with its evidence and its replayed effect
        page = office.get("/admin/routing").get_data(as_text=True)
        row = next(r for r in page.split('<tr class="suggestion">')[1:] if f"<b>{DEVICE}</b>" in r)
        assert "医技党支部" in row and "3 次" in row and all(n in row for n in numbers)
        assert "待分派变为自动分派 <b>3</b> 件" in row and all(f"{n}→医技党支部" in row for n in numbers)
        assert "已分派的改变支部 <b>1</b> 件" in row and f"{elsewhere}</a> 后勤党支部→待分派" in row
        suggested = json.loads(cli_run(settings, "keywords", "suggest", "--json").stdout)
        assert any(s["word"] == DEVICE and s["count"] == 3 and s["tasks"] == numbers for s in suggested["medtech"])

        # accepting needs the CSRF token and an office account
        assert office.post("/admin/routing/accept", data={"word": DEVICE, "branch": "medtech"}).status_code == 400
        viewer = login(console.test_client(), "viewer")
        assert "采纳</button>" not in viewer.get("/admin/routing").get_data(as_text=True)
        assert viewer.post("/admin/routing/accept", data={"word": DEVICE, "branch": "medtech",
                                                           "csrf_token": token(viewer)}).status_code == 403
        assert triaged(send(wechat, FOURTH)[1])
        done = office.post("/admin/routing/accept", data={"word": DEVICE, "branch": "medtech",
                                                          "csrf_token": token(office)}, follow_redirects=True)
        page = done.get_data(as_text=True)
        assert f"已采纳“{DEVICE}”→医技党支部" in page and f"<b>{DEVICE}</b>" not in page  # no longer suggested
        assert "<td>office</td>" in page and "生效中" in page

        # a fourth request naming the device routes to 医技党支部: in this process at once, in the other
        # one after its refresh interval (it checked the overlay at start-up, before the decision)
        assert routed_to_medtech(send(wechat, FOURTH, MEMBERS[1])[1])
        assert triaged(send(other, FOURTH)[1])
        clock.now += timedelta(seconds=5)
        assert routed_to_medtech(send(other, FOURTH, MEMBERS[1])[1])

        # undo (CLI) brings back the old routing everywhere after the interval, and the suggestion
        undone = cli_run(settings, "keywords", "undo", DEVICE, "--by", "张主任")
        assert undone.exit_code == 0, undone.output
        clock.now += timedelta(seconds=settings.routing.overlay_refresh_seconds)
        assert triaged(send(wechat, FOURTH)[1]) and triaged(send(other, FOURTH)[1])
        page = office.get("/admin/routing").get_data(as_text=True)
        assert f"<b>{DEVICE}</b>" in page and "已撤销（张主任" in page

        # reject drops it from the suggestions; the history keeps every decision
        office.post("/admin/routing/reject", data={"word": DEVICE, "csrf_token": token(office)})
        assert f"<b>{DEVICE}</b>" not in office.get("/admin/routing").get_data(as_text=True)
        assert not any(s["word"] == DEVICE for s in json.loads(
            cli_run(settings, "keywords", "suggest", "--json").stdout).get("medtech", []))
        history = json.loads(cli_run(settings, "keywords", "list", "--json").stdout)
        assert [(h["word"], h["decision"], h["branch"], h["who"], h["undone_by"]) for h in history] == [
            (DEVICE, "rejected", None, "office", None), (DEVICE, "accepted", "medtech", "office", "张主任")]
    finally:
        other_app.extensions["tongxin"].close()


@pytest.mark.pg
def test_a_word_accepted_in_one_consortium_routes_only_there(console, settings, clock, wechat, session_factory):
    with session_factory() as s:
        qinghe = s.scalar(select(Consortium).where(Consortium.code == "qinghe"))
        admin_accounts.create_account(s, "qh", PASSWORD, role="office", now=NOW, consortium_id=qinghe.id)
        s.commit()
    accepted = cli_run(settings, "keywords", "accept", DEVICE, "--branch", "医技", "--consortium", "linxi")
    assert accepted.exit_code == 0, accepted.output
    clock.now += timedelta(seconds=settings.routing.overlay_refresh_seconds)
    assert routed_to_medtech(send(wechat, FOURTH)[1])
    assert triaged(send(wechat, FOURTH, "demo-member-QHZ")[1])
    qh = login(console.test_client(), "qh")
    assert DEVICE not in qh.get("/admin/routing").get_data(as_text=True)  # not in qinghe's history either
    qh.post("/admin/routing/undo", data={"word": DEVICE, "csrf_token": token(qh)})
    history = json.loads(cli_run(settings, "keywords", "list", "--json", "--consortium", "linxi").stdout)
    assert [(h["decision"], h["undone_at"]) for h in history] == [("accepted", None)]


def test_keyword_commands_refuse_clearly(console, settings):
    bad_branch = cli_run(settings, "keywords", "accept", DEVICE, "--branch", "药剂科")
    assert bad_branch.exit_code != 0 and "没有找到支部“药剂科”" in bad_branch.output
    too_short = cli_run(settings, "keywords", "accept", "仪", "--branch", "医技")
    assert too_short.exit_code != 0 and "2 至 32 个字" in too_short.output
    assert cli_run(settings, "keywords", "reject", DEVICE).exit_code == 0
    twice = cli_run(settings, "keywords", "accept", DEVICE, "--branch", "医技")
    assert twice.exit_code != 0 and "如需更改请先撤销" in twice.output
    assert cli_run(settings, "keywords", "undo", DEVICE).exit_code == 0
    nothing = cli_run(settings, "keywords", "undo", DEVICE)
    assert nothing.exit_code != 0 and "没有可撤销的决定" in nothing.output
    assert "Traceback" not in bad_branch.output + too_short.output + twice.output + nothing.output


def test_overlay_adds_and_moves_words_without_touching_the_rules_file(settings):
    from services.routing.setup import load_routing
    base = load_routing(settings)
    learned = routing.with_overlay(base, [(DEVICE, "medtech", 3.0), ("白内障", "medtech", 3.0)])
    assert routing.classify(FOURTH, base).branch == "triage"
    assert routing.classify(FOURTH, learned).branch == "medtech"
    assert routing.classify("白内障术后复查", base).branch == "eye_ent"
    assert "白内障" in learned.branch_words["medtech"] and "白内障" not in learned.branch_words["eye_ent"]
    assert "白内障" in base.branch_words["eye_ent"] and DEVICE not in base.branch_words["medtech"]
    assert routing.with_overlay(base, []) is base
    with pytest.raises(routing.RulesError, match="unknown branch code"):
        routing.with_overlay(base, [(DEVICE, "pharmacy", 3.0)])


@pytest.mark.pg
def test_the_same_word_decided_twice_at_once_is_refused_not_an_error(console, session_factory):
    """Two offices click at once: both pass the check, the partial unique index refuses the second."""
    with session_factory() as first, session_factory() as second:
        cid = first.scalars(select(Consortium).order_by(Consortium.id)).first().id
        learning.accept(first, cid, DEVICE, "医技", who="a", now=NOW)
        first.commit()
        with pytest.raises(learning.LearningError) as refused:
            learning._decide(second, cid, DEVICE, "rejected", None, 3.0, who="b", now=NOW)
        assert refused.value.code == "already_decided" and "已有决定" in refused.value.message
        second.rollback()
    with session_factory() as check:
        assert [(r.who, r.decision) for r in learning.history(check, cid)] == [("a", "accepted")]

