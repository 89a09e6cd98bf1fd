"""Requests as tasks, through the signed webhook: member -> secretary -> rating -> office."""
from __future__ import annotations

import re
import threading

import pytest

from handlers import texts
from sqlalchemy import select

from models.outbox import OutboxMessage
from models.task import RoutingCorrection, Task, TaskEvent

MEMBER, OTHER_MEMBER = "demo-member-BSZ", "demo-member-QSZ"
EYE, MATERNAL, OFFICE = "demo-sec-eye_ent", "demo-sec-maternal", "demo-office-linxi"
NUMBER = re.compile(r"T-\d{4}-\d{4}")


def outbox_to(session_factory, openid) -> list[str]:
    with session_factory() as s:
        return [m.text for m in s.scalars(select(OutboxMessage).where(OutboxMessage.to_openid == openid)
                                          .order_by(OutboxMessage.id))]


def task(session_factory, number) -> Task:
    with session_factory() as s:
        return s.scalar(select(Task).where(Task.number == number))


def submit(wechat, text, user=MEMBER) -> str:
    reply = wechat.send(text, user=user)
    return NUMBER.search(reply).group(0)


@pytest.mark.pg
def test_full_conversation(wechat, demo, session_factory):
    reply = wechat.send("我们想请县医院眼科专家来村里做一次白内障筛查", user=MEMBER)
    number = NUMBER.search(reply).group(0)
    assert "五官科党支部" in reply
    note = outbox_to(session_factory, EYE)[-1]
    assert number in note and "白沙镇卫生院" in note and "接单" in note and "分派依据" in note

    assert number in wechat.send("任务", user=EYE)
    assert "已接单" in wechat.send(f"接单 {number}", user=EYE)
    assert "已由五官科党支部接单" in outbox_to(session_factory, MEMBER)[-1]
    assert "处理中" in wechat.send(f"进度 {number}", user=MEMBER)

    assert "处理说明" in wechat.send(f"办结 {number}", user=EYE)  # note required
    assert task(session_factory, number).status == "accepted"
    assert "已办结" in wechat.send(f"办结 {number} 已安排12月5日下乡筛查", user=EYE)
    resolved = outbox_to(session_factory, MEMBER)[-1]
    assert "已安排12月5日下乡筛查" in resolved and "1-5" in resolved

    assert "5 分" in wechat.send("5 很及时", user=MEMBER)
    t = task(session_factory, number)
    assert (t.status, t.rating, t.rating_comment) == ("resolved", 5, "很及时")

    stats = wechat.send("统计", user=OFFICE)
    assert "五官科党支部：未结 0，超期 0，本月办结 1，平均评价 5.0" in stats

    with session_factory() as s:
        actions = [e.action for e in s.scalars(select(TaskEvent).where(TaskEvent.task_id == t.id)
                                               .order_by(TaskEvent.id))]
    assert actions == ["created", "accepted", "resolved", "rated"]


def test_message_after_resolution_opens_new_request(wechat, demo, session_factory):
    first = submit(wechat, "想请眼科来做近视筛查")
    wechat.send(f"办结 {first} 已安排", user=EYE)
    wechat.send("4", user=MEMBER)
    second = submit(wechat, "白内障术后复查能否请眼科医生指导")
    assert second != first
    assert task(session_factory, first).status == "resolved"


def test_triage_assign_and_correction(wechat, demo, session_factory):
    reply = wechat.send("有个事情想和你们商量一下，怎么办比较好", user=MEMBER)
    number = NUMBER.search(reply).group(0)
    assert "党委办公室" in reply
    assert number in outbox_to(session_factory, OFFICE)[-1]
    listing = wechat.send("待分派", user=OFFICE)
    assert number in listing and "妇儿党支部" in listing  # BSZ is paired with maternal
    assert "没有名为「火星科」的支部" in wechat.send(f"分派 {number} 火星科", user=OFFICE)
    assert "已将" in wechat.send(f"分派 {number} 妇儿", user=OFFICE)
    assert task(session_factory, number).branch.code == "maternal"
    assert number in outbox_to(session_factory, MATERNAL)[-1]
    with session_factory() as s:
        c = s.scalars(select(RoutingCorrection)).one()
        assert (c.from_branch, c.to_branch) == ("triage", "maternal")


def test_transfer_requires_reason_and_records_correction(wechat, demo, session_factory):
    number = submit(wechat, "想请眼科来做近视筛查")
    assert "原因" in wechat.send(f"转办 {number} 护理", user=EYE)
    assert task(session_factory, number).branch.code == "eye_ent"
    assert "护理党支部" in wechat.send(f"转办 {number} 护理 属于护理培训", user=EYE)
    assert task(session_factory, number).branch.code == "nursing"
    assert "由五官科党支部转来" in outbox_to(session_factory, "demo-sec-nursing")[-1]
    assert "只有该支部" in wechat.send(f"接单 {number}", user=EYE)
    with session_factory() as s:
        c = s.scalars(select(RoutingCorrection)).one()
        assert (c.from_branch, c.to_branch) == ("eye_ent", "nursing")


def test_return_to_office(wechat, demo, session_factory):
    number = submit(wechat, "想请眼科来做近视筛查")
    assert "退回" in wechat.send(f"退回 {number} 不属于本支部", user=EYE)
    t = task(session_factory, number)
    assert t.status == "triage" and t.branch is None
    assert "不属于本支部" in outbox_to(session_factory, OFFICE)[-1]


def test_only_the_branch_may_act(wechat, demo, session_factory):
    number = submit(wechat, "想请眼科来做近视筛查")
    assert "只有该支部书记或副书记可以操作" in wechat.send(f"接单 {number}", user=MATERNAL)
    assert "只有该支部书记或副书记可以操作" in wechat.send(f"办结 {number} 好了", user=MATERNAL)
    assert task(session_factory, number).status == "routed"
    # another member cannot see or withdraw it
    assert "没有找到" in wechat.send(f"进度 {number}", user=OTHER_MEMBER)
    assert "没有找到" in wechat.send(f"撤回 {number}", user=OTHER_MEMBER)


def test_bad_input_answers(wechat, demo):
    assert "没有找到编号为 T-2026-9999" in wechat.send("接单 T-2026-9999", user=EYE)
    assert "任务编号" in wechat.send("接单", user=EYE)
    assert "仅支部书记和副书记可以使用" in wechat.send("接单 T-2026-0001", user=MEMBER)  # a member cannot use it


def test_supplement_withdraw_and_state_rules(wechat, demo, session_factory):
    number = submit(wechat, "想请眼科来做近视筛查")
    assert "已将补充内容" in wechat.send(f"补充 {number} 大约有200名学生", user=MEMBER)
    assert "200名学生" in outbox_to(session_factory, EYE)[-1]
    assert "已撤回" in wechat.send(f"撤回 {number}", user=MEMBER)
    assert "不能执行" in wechat.send(f"接单 {number}", user=EYE)
    assert "已撤回" in outbox_to(session_factory, EYE)[-1]


def test_low_rating_alerts_office(wechat, demo, session_factory):
    number = submit(wechat, "想请眼科来做近视筛查")
    wechat.send(f"办结 {number} 已处理", user=EYE)
    assert "1 分" in wechat.send(f"评价 {number} 1 一直没人来", user=MEMBER)
    assert "一直没人来" in outbox_to(session_factory, OFFICE)[-1]


def test_voice_is_a_request_and_image_attaches(wechat, demo, session_factory):
    reply = wechat.voice("产科胎心监护仪不会用，想请妇产科来培训", user=MEMBER)
    number = NUMBER.search(reply).group(0)
    assert "已将图片附加到您的诉求 " + number in wechat.image(user=MEMBER)
    assert wechat.image(user=OTHER_MEMBER) == texts.ATTACH_NO_TASK.format(kind="图片")


def test_small_talk_is_not_a_task(wechat, demo, session_factory):
    assert wechat.send("你好", user=MEMBER) == texts.GREETING
    with session_factory() as s:
        assert s.scalars(select(Task)).all() == []


def test_menu_click_equals_command(wechat, demo):
    submit(wechat, "想请眼科来做近视筛查")
    assert wechat.click("MY_TASKS", user=EYE) == wechat.send("任务", user=EYE)
    assert wechat.click("MY_REQUESTS", user=MEMBER) == wechat.send("我的诉求", user=MEMBER)


@pytest.mark.pg
def test_concurrent_accept_exactly_one_wins(app, wechat, demo, session_factory):
    number = submit(wechat, "想请眼科来做近视筛查")
    from models.org import Person
    from services.tasks import lifecycle as tasks
    with session_factory() as s:  # a deputy for the same branch
        sec = s.scalar(select(Person).where(Person.openid == EYE))
        deputy = Person(openid="deputy-eye", name="副书记", role="secretary", consortium_id=sec.consortium_id,
                        branch_id=sec.branch_id, is_deputy=True, created_at=sec.created_at)
        s.add(deputy)
        s.commit()
    results: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def act(openid: str) -> None:
        with session_factory() as s:
            person = s.scalar(select(Person).where(Person.openid == openid))
            t = tasks.get_task(s, number)
            barrier.wait()
            try:
                tasks.accept(s, person, t.number, now=t.created_at, sandbox=True)
                s.commit()
                results[openid] = "ok"
            except tasks.TaskError as exc:
                s.rollback()
                results[openid] = exc.code
            except Exception as exc:  # SQLite lock timeout would show here
                s.rollback()
                results[openid] = type(exc).__name__

    threads = [threading.Thread(target=act, args=(o,)) for o in (EYE, "deputy-eye")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results.values()) == ["conflict", "ok"], results
    with session_factory() as s:
        assert len(s.scalars(select(TaskEvent).where(TaskEvent.action == "accepted")).all()) == 1


def test_secretary_sees_details_of_own_branch_and_transferred_tasks_only(wechat, demo, session_factory):
    number = submit(wechat, "我们想请县医院眼科专家来村里做一次白内障筛查")
    internal = "demo-sec-internal"
    assert "没有找到" in wechat.send(f"详情 {number}", user=MATERNAL)  # another branch's task
    assert "没有找到" in wechat.send(f"详情 {number}", user=internal)
    assert "白内障" in wechat.send(f"详情 {number}", user=EYE)
    assert "白内障" in wechat.send(f"详情 {number}", user=OFFICE)
    wechat.send(f"转办 {number} 妇儿 更像是儿童眼保健", user=EYE)
    assert "白内障" in wechat.send(f"详情 {number}", user=MATERNAL)  # now theirs
    assert "白内障" in wechat.send(f"详情 {number}", user=EYE)  # transferred away: still visible
    assert "没有找到" in wechat.send(f"详情 {number}", user=internal)
