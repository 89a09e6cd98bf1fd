"""Joint-meeting follow-up through the signed webhook: 督办 items (create, progress, complete, confirm,
reopen, link), refusals, deadline reminders once per level, the `items list` JSON contract."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import cli
from models.joint import JointItem
from models.org import Person, Unit
from models.outbox import OutboxMessage
from services.joint import contacts

SH = ZoneInfo("Asia/Shanghai")
OFFICE, LOGISTICS = "demo-office-linxi", "demo-sec-logistics"
BSZ, QSZ = "demo-member-BSZ", "demo-member-QSZ"
ITEM = "督办 后勤党支部 2027-01-15 为白沙镇卫生院检修B超机"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def invoke(settings, *args):
    env = {"DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(settings.var_dir)}
    return CliRunner().invoke(cli, list(args), env=env)


def outbox_to(session_factory, openid) -> list[str]:
    with session_factory() as s:
        return [m.text for m in s.scalars(select(OutboxMessage).where(OutboxMessage.to_openid == openid)
                                          .order_by(OutboxMessage.id))]


def item_count(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count(JointItem.id)))


@pytest.fixture
def units(demo, session_factory, clock):
    """白沙镇卫生院 and 青山镇卫生院 each with its contact (their demo doctors)."""
    clock.now = at(2026, 12, 16, 10, 0)
    with session_factory() as s:
        for code in ("BSZ", "QSZ"):
            unit = s.scalar(select(Unit).where(Unit.code == code))
            person = s.scalar(select(Person).where(Person.openid == f"demo-member-{code}"))
            contacts.set_contact(s, unit, person, now=clock.now)
        s.commit()


def test_bad_item_lines_get_the_form_and_create_nothing(wechat, units, session_factory):
    assert "未找到责任支部或单位" in wechat.send("督办 2027-01-15 检修B超机", user=OFFICE)
    reply = wechat.send("督办 后勤党支部 为白沙镇卫生院检修B超机", user=OFFICE)
    assert "请写明完成日期" in reply and "督办 后勤党支部 2027-01-15" in reply
    assert "请写明督办事项内容" in wechat.send("督办 后勤党支部 2027-01-15", user=OFFICE)
    assert "已过" in wechat.send("督办 后勤党支部 2026-01-15 检修", user=OFFICE)
    assert item_count(session_factory) == 0
    assert "D-2026" not in wechat.send(ITEM, user=BSZ)  # only the office files items
    assert item_count(session_factory) == 0


@pytest.mark.pg
def test_item_lifecycle_with_owner_checks(wechat, units, session_factory, settings):
    reply = wechat.send(ITEM, user=OFFICE)
    assert "D-2026-0001" in reply and "后勤党支部" in reply and "2027-01-15" in reply
    assert "【督办事项】D-2026-0001" in outbox_to(session_factory, LOGISTICS)[-1]
    reply = wechat.send("督办 白沙镇卫生院 2027-01-10 上报B超机故障及使用情况", user=OFFICE)
    assert "D-2026-0002" in reply and "已通知1人" in reply
    assert "D-2026-0002" in outbox_to(session_factory, BSZ)[-1]
    # a unit contact cannot touch another owner's item
    assert "只有责任方" in wechat.send("完成 D-2026-0002 已上报", user=QSZ)
    assert "只有责任方" in wechat.send("完成 D-2026-0001 已检修", user=BSZ)
    assert "请写明完成说明" in wechat.send("完成 D-2026-0001", user=LOGISTICS)
    assert "已记录" in wechat.send("进展 D-2026-0001 已联系厂家，下周上门", user=LOGISTICS)
    assert "等待党委办公室确认" in wechat.send("完成 D-2026-0001 已完成检修并试机正常", user=LOGISTICS)
    assert "待确认" in outbox_to(session_factory, OFFICE)[-1]
    assert "已完成待确认" in wechat.send("督办", user=LOGISTICS)
    assert "已确认办结" in wechat.send("确认 D-2026-0001", user=OFFICE)
    assert "尚未报完成" in wechat.send("确认 D-2026-0002", user=OFFICE)
    task_reply = wechat.send("B超机坏了两周了，请县医院派人来检修", user=BSZ)
    number = task_reply[task_reply.index("T-2026"):][:11]
    assert f"已关联诉求 {number}" in wechat.send(f"关联 D-2026-0002 {number}", user=BSZ)
    assert "只有责任方" in wechat.send(f"关联 D-2026-0002 {number}", user=QSZ)
    rows = json.loads(invoke(settings, "items", "list", "--json").stdout)
    assert rows == [
        {"id": "D-2026-0002", "title": "上报B超机故障及使用情况", "owner": "白沙镇卫生院", "due": "2027-01-10",
         "status": "open", "meeting": None, "links": [number]},
        {"id": "D-2026-0001", "title": "为白沙镇卫生院检修B超机", "owner": "后勤党支部", "due": "2027-01-15",
         "status": "confirmed", "meeting": None, "links": []}]
    done = json.loads(invoke(settings, "items", "list", "--status", "done", "--owner", "logistics", "--json").stdout)
    assert [r["id"] for r in done] == ["D-2026-0001"]
    assert "已重开" in wechat.send("重开 D-2026-0001 试机后又出现故障", user=OFFICE)
    assert "重新打开" in outbox_to(session_factory, LOGISTICS)[-1]


@pytest.mark.pg
def test_reminders_before_due_and_at_overdue_once_per_level(wechat, units, session_factory, settings):
    wechat.send("督办 白沙镇卫生院 2027-01-08 上报B超机故障及使用情况", user=OFFICE)
    fire = lambda when: json.loads(invoke(settings, "schedule", "fire", "escalation", "--at", when).stdout)
    assert fire("2027-01-04T10:00+08:00")["queued"] == 0          # 4 working days before: too early
    assert fire("2027-01-06T22:00+08:00")["queued"] == 0          # quiet hours
    assert fire("2027-01-06T10:00+08:00")["queued"] == 1          # 2 working days before
    assert fire("2027-01-06T11:00+08:00")["queued"] == 0          # once
    assert "将于 2027-01-08 到期" in outbox_to(session_factory, BSZ)[-1]
    assert fire("2027-01-09T10:00+08:00")["queued"] == 0          # Saturday: a rest day
    assert fire("2027-01-11T10:00+08:00")["queued"] == 2          # overdue: owner and office
    assert fire("2027-01-12T10:00+08:00")["queued"] == 0
    assert "超过完成时限" in outbox_to(session_factory, OFFICE)[-1]


def test_rubric_weight_that_is_not_a_number_stops_start_up(tmp_path):
    from tests.conftest import with_credentials
    from core.config import ConfigError, load_settings
    bad = {"rubric": {"parts": [{"name": "meetings", "weight": "二十"}]}}
    env = with_credentials({"TONGXIN_VAR_DIR": str(tmp_path)})
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, overrides=bad)
    assert "rubric.parts[0].weight" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, overrides={"rubric": {"parts": [{"name": "luck", "weight": 5}]}})
    assert "rubric.parts[0].name" in str(err.value)


@pytest.mark.pg
def test_score_counts_items_closed_on_time_and_ranks_two_consortia(wechat, units, session_factory, settings,
                                                                  clock):
    wechat.send("督办 后勤党支部 2026-12-18 为白沙镇卫生院检修B超机", user=OFFICE)
    wechat.send("督办 妇儿党支部 2026-12-18 为白沙镇卫生院培训产科医生", user=OFFICE)
    clock.now = at(2026, 12, 17, 9, 0)
    wechat.send("完成 D-2026-0001 已完成检修", user=LOGISTICS)
    wechat.send("确认 D-2026-0001", user=OFFICE)
    score = lambda *a: json.loads(invoke(settings, "score", "--year", "2026", *a, "--at",
                                         "2026-12-21T10:00+08:00", "--json").stdout)
    rows = {r["branch"]: r for r in score("--period", "2026-Q4", "--consortium", "linxi")}
    assert {r["consortium"] for r in rows.values()} == {"linxi"} and len(rows) == 10
    assert rows["logistics"]["parts"]["items"] == {"value": 1.0, "target": 1.0, "points": 10.0}
    assert rows["maternal"]["parts"]["items"] == {"value": 0.0, "target": 1.0, "points": 0.0}
    assert rows["logistics"]["score"] - rows["maternal"]["score"] >= 10 - 0.05 * 8  # only parts beside items differ
    assert set(rows["logistics"]["parts"]) == {"meetings", "attendance", "reports", "requests", "rating",
                                               "four_ones", "items", "plan"}
    both = score()
    assert {r["consortium"] for r in both} == {"linxi", "qinghe"}
    assert [r["score"] for r in both] == sorted((r["score"] for r in both), reverse=True)
    bad = invoke(settings, "score", "--year", "2026", "--period", "2025-Q1", "--json")
    assert bad.exit_code != 0 and "--period" in bad.output


def console_login(app, session_factory, username: str, role: str, now):
    from services.org import accounts
    with session_factory() as s:
        accounts.create_account(s, username, "correct-horse-9", role=role, now=now)
        s.commit()
    client = app.test_client()
    client.get("/admin/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    client.post("/admin/login", data={"username": username, "password": "correct-horse-9", "csrf_token": token})
    client.get("/admin/items")
    with client.session_transaction() as sess:
        return client, sess["csrf"]


def test_console_items_and_scores_pages(app, wechat, units, session_factory, clock):
    wechat.send("督办 后勤党支部 2026-12-18 为白沙镇卫生院检修B超机", user=OFFICE)
    clock.now = at(2026, 12, 21, 10, 0)
    office, token = console_login(app, session_factory, "office", "office", clock.now)
    page = office.get("/admin/items").get_data(as_text=True)
    assert "D-2026-0001" in page and "已超期" in page and "白沙镇卫生院" in page
    with session_factory() as s:
        unit_id = s.scalar(select(Unit.id).where(Unit.code == "QSZ"))
    sent = {"owner": f"u:{unit_id}", "due": "2027-01-20", "title": "<script>x</script>上报设备清单"}
    assert office.post("/admin/items", data=sent).status_code == 400          # no CSRF token
    assert office.post("/admin/items", data={**sent, "csrf_token": token}).status_code == 302
    page = office.get("/admin/items").get_data(as_text=True)
    assert "D-2026-0002" in page and "<script>x" not in page and "&lt;script&gt;" in page
    assert "D-2026-0002" in outbox_to(session_factory, QSZ)[-1]
    office.post("/admin/items", data={"owner": f"u:{unit_id}", "due": "", "title": "x", "csrf_token": token})
    assert item_count(session_factory) == 2
    viewer, vtoken = console_login(app, session_factory, "viewer", "viewer", clock.now)
    assert viewer.post("/admin/items/D-2026-0001/confirm", data={"csrf_token": vtoken}).status_code == 403
    scores_page = office.get("/admin/scores?period=2026-Q4").get_data(as_text=True)
    assert "评分细则" in scores_page and "督办事项按期办结" in scores_page and "后勤党支部" in scores_page
    bureau, _ = console_login(app, session_factory, "bureau", "bureau", clock.now)
    ranked = bureau.get("/admin/scores").get_data(as_text=True)
    assert "医共体排名" in ranked and "临溪县医共体" in ranked


def test_demo_has_a_past_joint_meeting_with_closed_and_overdue_items(demo, session_factory, settings, clock):
    from services.joint import demo as joint_demo
    clock.now = at(2026, 12, 16, 10, 0)
    with session_factory() as s:
        assert joint_demo.seed(s, settings, now=clock.now) == 8
        assert joint_demo.seed(s, settings, now=clock.now) == 0  # idempotent
        s.commit()
    rows = json.loads(invoke(settings, "items", "list", "--json",
                             "--at", "2026-12-16T10:00+08:00").stdout)
    statuses = sorted(r["status"] for r in rows)
    assert statuses == sorted(["confirmed", "done", "overdue", "open"] * 2)
    assert all(r["meeting"] and r["meeting"].startswith("M-2026-") for r in rows)
