"""The conversation a village doctor has: bursts become one request, courtesy is acknowledged."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from handlers import texts
from models.outbox import OutboxMessage
from models.task import Task, TaskEvent

DOCTOR = "demo-member-BSZ"
LOGISTICS = "demo-sec-logistics"
NUMBER = re.compile(r"T-\d{4}-\d{4}")


def _tasks(factory) -> list[Task]:
    with factory() as s:
        return list(s.scalars(select(Task).order_by(Task.id)).all())


def _notices(factory, number: str) -> list[OutboxMessage]:
    with factory() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [r for r in rows if (r.payload or {}).get("task") == number]


def test_a_burst_becomes_one_task_routed_once_and_notified_once(wechat, demo, session_factory):
    assert wechat.send("你好", user=DOCTOR) == texts.GREETING
    first = wechat.send("我们卫生院的B超坏了", user=DOCTOR)
    number = NUMBER.search(first).group(0)
    assert "后勤" in first
    assert wechat.send("能不能派人来修一下", user=DOCTOR).startswith(f"已补充到 {number}")
    [task] = _tasks(session_factory)
    assert (task.number, task.branch.code, task.text) == (number, "logistics", "我们卫生院的B超坏了\n能不能派人来修一下")
    notices = _notices(session_factory, number)
    assert [(n.kind, n.to_openid) for n in notices if n.status != "superseded"] == [("task_new", LOGISTICS)]
    assert "能不能派人来修一下" in notices[0].text                        # the one notice holds the whole text
    with session_factory() as s:
        actions = [e.action for e in s.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id))]
    assert actions == ["created", "supplemented"]                        # routed once, no re-route


def test_a_burst_after_the_notice_went_out_adds_one_supplement_to_the_same_task(wechat, demo, session_factory):
    number = NUMBER.search(wechat.send("我们卫生院的B超坏了", user=DOCTOR)).group(0)
    with session_factory() as s:  # the delivery worker has sent the new-task notice meanwhile
        for row in s.scalars(select(OutboxMessage)).all():
            row.status = "sent"
        s.commit()
    assert number in wechat.send("能不能派人来修一下", user=DOCTOR)
    assert len(_tasks(session_factory)) == 1
    kinds = [(n.kind, n.to_openid) for n in _notices(session_factory, number)]
    assert kinds == [("task_new", LOGISTICS), ("task_update", LOGISTICS)]


def test_a_burst_that_changes_the_branch_reroutes_the_one_task(wechat, demo, session_factory):
    number = NUMBER.search(wechat.send("我想问一下这个事情怎么办呢", user=DOCTOR)).group(0)
    assert _tasks(session_factory)[0].status == "triage"
    reply = wechat.send("我们的B超机坏了开不了机，麻烦后勤来修一下", user=DOCTOR)
    assert reply.startswith(f"已补充到 {number}") and "后勤" in reply
    [task] = _tasks(session_factory)
    assert (task.status, task.branch.code) == ("routed", "logistics")
    live = [(n.kind, n.to_openid) for n in _notices(session_factory, number) if n.status != "superseded"]
    assert live == [("task_new", LOGISTICS)]                              # the office's unsent notice withdrawn


def test_after_the_burst_window_a_message_is_a_new_request(wechat, demo, session_factory, clock):
    wechat.send("我们卫生院的B超坏了", user=DOCTOR)
    clock.now += timedelta(minutes=4)
    reply = wechat.send("产科胎心监护仪不会用，想请县医院妇产科来培训", user=DOCTOR)
    assert reply.startswith("已收到您的诉求")
    assert [t.branch.code for t in _tasks(session_factory)] == ["logistics", "maternal"]


def test_after_acceptance_the_member_is_asked_and_the_answer_is_honoured(wechat, demo, session_factory, clock):
    number = NUMBER.search(wechat.send("我们卫生院的B超坏了", user=DOCTOR)).group(0)
    assert "已接单" in wechat.send(f"接单 {number}", user=LOGISTICS)
    ask = wechat.send("型号是迈瑞DC-30", user=DOCTOR)
    assert ask.endswith(f"回复 1 补充到 {number}，回复 2 作为新诉求")
    assert wechat.send("1", user=DOCTOR) == texts.SUPPLEMENT_OK.format(number=number)
    assert len(_tasks(session_factory)) == 1
    with session_factory() as s:
        notes = [e.note for e in s.scalars(select(TaskEvent).where(TaskEvent.action == "supplemented"))]
    assert notes == ["型号是迈瑞DC-30"]
    clock.now += timedelta(minutes=10)
    assert "回复 2 作为新诉求" in wechat.send("产科胎心监护仪不会用，想请县医院妇产科来培训", user=DOCTOR)
    new = wechat.send("2", user=DOCTOR)
    assert new.startswith("已收到您的诉求") and "妇儿党支部" in new
    assert [t.branch.code for t in _tasks(session_factory)] == ["logistics", "maternal"]


def test_courtesy_gets_an_acknowledgement_not_the_prompt(wechat, demo, session_factory):
    for text in ("谢谢", "好的", "收到", "辛苦了", "好的，谢谢老师", "👍", "[强]", "/::)"):
        assert wechat.send(text, user=DOCTOR) == texts.THANKS_ACK, text
    sticker = wechat.post_xml(wechat.xml(DOCTOR, "emoji", MsgId=987654)).content
    assert sticker == texts.THANKS_ACK
    for text in ("你好", "您好！", "在吗"):
        assert wechat.send(text, user=DOCTOR) == texts.GREETING, text
    assert texts.THANKS_ACK != texts.SMALL_TALK and texts.GREETING != texts.SMALL_TALK
    assert _tasks(session_factory) == []


def test_routing_agrees_courtesy_is_no_branch_request():
    """The conversation layer's courtesy words never carry a branch decision in the classifier."""
    from routing import classify, load_rules
    from services.tasks.plan import THANKS, talk_kind
    rules = load_rules("routing/rules.yaml")
    for text in ("谢谢", "好的", "收到", "辛苦了", "谢谢老师", "好的，谢谢"):
        assert talk_kind(text) == THANKS and classify(text, rules).branch == "triage", text
    assert talk_kind("谢谢，我们的B超坏了") != THANKS


# --- plain words ------------------------------------------------------------------------------

def test_members_never_see_keyword_weights_and_staff_see_words_only(wechat, demo):
    number = NUMBER.search(wechat.send("我们的B超机坏了开不了机，麻烦后勤来修一下", user=DOCTOR)).group(0)
    mine = wechat.send(f"进度 {number}", user=DOCTOR)
    assert "分派依据" not in mine and not re.search(r"\(\d", mine)
    staff = wechat.send(f"详情 {number}", user=LOGISTICS)
    assert "分派依据：" in staff and not re.search(r"\(\d", staff)
    assert "分派依据" not in wechat.send("我的诉求", user=DOCTOR)


def test_statistics_answer_with_labels(wechat, demo):
    stats = wechat.send("统计", user="demo-office-linxi")
    assert re.search(r"· 行政党支部：未结 \d+，超期 \d+，本月办结 \d+，平均评价 (\d\.\d|暂无)", stats), stats
    assert not re.search(r"\d+/\d+/\d+", stats)


def test_the_monthly_report_example_is_what_the_echo_shows_and_no_brackets_nest(wechat, demo, clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo
    clock.now = datetime(2026, 12, 7, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))  # November's report, late
    sec = "demo-sec-public_health"
    guide = wechat.send("月报", user=sec)
    assert texts.REPORT_EXAMPLE in guide
    echo = wechat.send(texts.REPORT_EXAMPLE, user=sec)
    for written in ("结对活动：3 次", "义诊：2 次", "义诊服务：126 人次", "培训：4 场", "讲座：1 场", "帮扶解决问题：5 个"):
        assert written in echo, (written, echo)
    for count, unit in re.findall(r"(\d+)(人次|次|场|个)", texts.REPORT_EXAMPLE):  # the example's units, echoed
        assert f"：{count} {unit}" in echo, (count, unit)
    assert "逾期" in wechat.send("确认", user=sec)
    shown = wechat.send("月报 2026-11", user=sec)
    head = shown.splitlines()[0]
    assert "逾期" in head and not re.search(r"（[^）]*（", head), head


def test_report_button_invites_the_doctor_to_type(wechat, demo):
    invite = wechat.click("REPORT", user=DOCTOR)
    assert invite == texts.REPORT_INVITE and "帮助" not in invite
