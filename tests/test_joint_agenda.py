"""联席会议 with an agenda that writes itself: the office schedules one (WeChat or console), invitees are
notified, the draft agenda lists each unit's open needs, long-open requests, the last meeting's decided items
with their status and the topics units sent (议题); the office edits and sends it."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.outbox import OutboxMessage
from models.party import Meeting
from models.task import Task
from services.joint import agenda
from tests.test_joint import console_login, units  # noqa: F401 (fixture)

SH = ZoneInfo("Asia/Shanghai")
OFFICE, LOGISTICS = "demo-office-linxi", "demo-sec-logistics"
BSZ, QSZ = "demo-member-BSZ", "demo-member-QSZ"
SCHEDULE = "会议 联席会议 12月18日 14:00 三楼会议室 第四季度联席会议"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def outbox_to(session_factory, openid) -> list[str]:
    with session_factory() as s:
        return [m.text for m in s.scalars(select(OutboxMessage).where(OutboxMessage.to_openid == openid)
                                          .order_by(OutboxMessage.id))]


def draft_of(session_factory, settings, number: str, now: datetime) -> str:
    with session_factory() as s:
        meeting = s.get(Meeting, int(number.rsplit("-", 1)[1]))
        return agenda.draft(s, settings, meeting, now=now)


def section(draft: str, unit: str) -> str:
    """The lines under the draft's heading `N、<unit>`."""
    lines = draft.split(f"、{unit}\n", 1)[1].splitlines()
    return "\n".join(line for line in lines[:next((i for i, x in enumerate(lines) if not x.startswith("  ")),
                                                   len(lines))])


def _need(wechat, session_factory) -> str:
    wechat.send("我们卫生院的B超机坏了，需要上级帮助检修", user=BSZ)
    with session_factory() as s:
        number = s.scalar(select(Task.number).order_by(Task.id.desc()))
    assert "需求清单" in wechat.send(f"需求 {number}", user=OFFICE)
    return number


@pytest.mark.pg
def test_agenda_from_scheduling_to_a_closed_item_on_the_next_agenda(wechat, units, session_factory, settings,
                                                                  clock):
    task = _need(wechat, session_factory)
    assert "暂无待召开的联席会议" in wechat.send("议题 申请派驻妇产科医生", user=BSZ)
    no_time = wechat.send("会议 联席会议 12月18日 三楼会议室", user=OFFICE)  # no time: the form, nothing made
    assert "开始时间" in no_time and "例如：会议 联席会议" in no_time
    reply = wechat.send(SCHEDULE, user=OFFICE)
    assert "已安排联席会议 M-2026-" in reply and "12月18日 14:00" in reply
    first = reply.split("已安排联席会议 ")[1].split()[0]
    for invitee in (OFFICE, LOGISTICS, BSZ, QSZ):
        assert "【联席会议通知】" in outbox_to(session_factory, invitee)[-1]
    assert not any("联席会议通知" in m for m in outbox_to(session_factory, "demo-member-LHC"))  # not a contact
    # units add topics; someone who speaks for no unit cannot
    assert f"已将议题提交至联席会议 {first}" in wechat.send("议题 申请派驻妇产科医生", user=BSZ)
    assert "只有成员单位联络人" in wechat.send("议题 增加编制", user="demo-member-LHC")
    draft = draft_of(session_factory, settings, first, clock.now)
    bsz = section(draft, "白沙镇卫生院")
    assert "需求：我们卫生院的B超机坏了" in bsz and task in bsz and "单位议题：申请派驻妇产科医生" in bsz
    assert "增加编制" not in draft
    # the meeting decides: the item comes from this meeting, the owner reports, closes, the office confirms
    clock.now = at(2026, 12, 18, 15, 0)
    reply = wechat.send("督办 白沙镇卫生院 2027-01-10 上报B超机故障及维修需求", user=OFFICE)
    assert "D-2026-0001" in reply and first in reply
    assert "已记录" in wechat.send("进展 D-2026-0001 已联系厂家", user=BSZ)
    assert "等待" in wechat.send("完成 D-2026-0001 已上报并检修完毕", user=BSZ)
    assert "已确认办结" in wechat.send("确认 D-2026-0001", user=OFFICE)
    # the next meeting's draft shows the last meeting's item closed, and the request open for over 7 days
    clock.now = at(2026, 12, 28, 10, 0)
    second = wechat.send("会议 联席会议 2027-03-25 14:00 三楼会议室 第一季度联席会议", user=OFFICE) \
        .split("已安排联席会议 ")[1].split()[0]
    draft = draft_of(session_factory, settings, second, clock.now)
    bsz = section(draft, "白沙镇卫生院")
    assert "上次议定：D-2026-0001 上报B超机故障及维修需求" in bsz and "已确认办结" in bsz
    assert f"（{task}，待接单）" in bsz and bsz.count(task) == 1  # open over 7 days, but shown once: as the need
    assert "申请派驻妇产科医生" not in draft  # topics belong to their meeting
    wechat.send("我们的心电图机打印不出报告了，想请医技科帮忙看看", user=QSZ)  # not a need
    with session_factory() as s:
        other = s.scalar(select(Task.number).order_by(Task.id.desc()))
    clock.now = at(2027, 1, 8, 10, 0)
    qsz = section(draft_of(session_factory, settings, second, clock.now), "青山镇卫生院")
    assert f"诉求：{other}" in qsz  # a request open longer than joint.agenda_overdue_days


def test_console_schedules_shows_draft_and_sends_the_edited_agenda(app, wechat, units, session_factory, clock):
    _need(wechat, session_factory)
    office, token = console_login(app, session_factory, "office", "office", clock.now)
    form = {"kind": "joint", "date": "2026-12-28", "time": "14:00", "place": "三楼会议室", "title": "第四季度联席会议"}
    assert office.post("/admin/joint-meetings", data=form).status_code == 400  # no CSRF token
    assert office.post("/admin/joint-meetings", data={**form, "date": "2026-12-01", "csrf_token": token}) \
        .status_code == 302
    with session_factory() as s:
        assert s.scalar(select(Meeting).where(Meeting.kind == "joint")) is None  # past date: nothing made
    assert office.post("/admin/joint-meetings", data={**form, "csrf_token": token}).status_code == 302
    assert "【联席会议通知】" in outbox_to(session_factory, QSZ)[-1]
    wechat.send("议题 <b>申请</b>增加村医培训名额", user=QSZ)
    page = office.get("/admin/joint-meetings").get_data(as_text=True)
    assert "第四季度联席会议" in page and "需求：我们卫生院的B超机坏了" in page
    assert "&lt;b&gt;申请&lt;/b&gt;增加村医培训名额" in page and "<b>申请" not in page
    with session_factory() as s:
        meeting_id = s.scalar(select(Meeting.id).where(Meeting.kind == "joint"))
    viewer, vtoken = console_login(app, session_factory, "viewer", "viewer", clock.now)
    assert viewer.post(f"/admin/joint-meetings/{meeting_id}/agenda",
                       data={"agenda": "x", "csrf_token": vtoken}).status_code == 403
    sent = office.post(f"/admin/joint-meetings/{meeting_id}/agenda",
                       data={"agenda": "一、白沙镇卫生院B超机检修（党办补充）", "csrf_token": token})
    assert sent.status_code == 302
    for invitee in (OFFICE, LOGISTICS, BSZ, QSZ):
        last = outbox_to(session_factory, invitee)[-1]
        assert last.startswith("【联席会议议程】M-2026-") and "党办补充" in last
    assert office.post(f"/admin/joint-meetings/{meeting_id + 999}/agenda",
                       data={"agenda": "x", "csrf_token": token}).status_code == 404
