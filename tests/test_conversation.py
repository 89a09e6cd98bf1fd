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
        actions = [e.action for e in s.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id))]
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
