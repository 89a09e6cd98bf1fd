"""Monthly reports (月报) in WeChat: guided and one-message filing, late marking, 未报送, 催报, 通知."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models.org import Person
from models.outbox import OutboxMessage
from models.report import MonthlyReport
from scheduler import jobs
from services.reports.monthly import parse_counts

SH = ZoneInfo("Asia/Shanghai")
EYE, MATERNAL, OFFICE = "demo-sec-eye_ent", "demo-sec-maternal", "demo-office-linxi"
CONTENT = "结对活动3次，义诊2次服务126人次，培训4场，讲座1次，解决问题5个"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def texts_to(session_factory, openid: str) -> list[str]:
    with session_factory() as s:
        return list(s.scalars(select(OutboxMessage.text).where(OutboxMessage.to_openid == openid)
                              .order_by(OutboxMessage.id)))


def secretaries(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(Person).where(Person.role == "secretary"))


def report_of(session_factory, branch_code: str, period: str) -> MonthlyReport | None:
    with session_factory() as s:
        return next((r for r in s.scalars(select(MonthlyReport).where(MonthlyReport.period == period))
                     if r.branch.code == branch_code), None)


def test_free_format_counts_are_recognized():
    assert parse_counts(CONTENT) == {"activities": 3, "clinics": 2, "clinic_people": 126, "trainings": 4,
                                     "lectures": 1, "problems": 5}
    assert parse_counts("11月份开展义诊两次，服务群众八十六人次；举办健康讲座一场、培训3期，帮助解决3个实际问题") == \
        {"clinics": 2, "clinic_people": 86, "trainings": 3, "lectures": 1, "problems": 3}
    assert parse_counts("结对单位开展义诊2次") == {"clinics": 2}
    assert parse_counts("义诊 2 次 服务 120 人次 帮扶问题 4") == {"clinics": 2, "clinic_people": 120, "problems": 4}
    assert parse_counts("１２月开展结对活动２次") == {"activities": 2}
    assert parse_counts("本月工作正常") == {}


def test_guided_report_is_echoed_confirmed_and_shown(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 20, 10, 0)
    guide = wechat.send("月报", user=EYE)
    assert "五官科党支部2026年12月工作月报" in guide and "12月31日" in guide
    echo = wechat.send(CONTENT, user=EYE)
    assert "· 义诊：2 次" in echo and "· 义诊服务：126 人次" in echo and "· 帮扶解决问题：5 个" in echo
    assert "确认" in echo and "逾期" not in echo
    assert report_of(session_factory, "eye_ent", "2026-12") is None  # nothing filed before 确认
    filed = wechat.send("确认", user=EYE)
    assert "已报送五官科党支部2026年12月工作月报" in filed and "逾期" not in filed
    report = report_of(session_factory, "eye_ent", "2026-12")
    assert report.counts["clinic_people"] == 126 and report.late is False
    shown = wechat.send("月报 2026-12", user=EYE)
    assert "· 培训：4 场" in shown and "原文：" + CONTENT in shown
    assert "尚未报送" in wechat.send("月报 2026-11", user=EYE)
    assert "没有待确认的月报" in wechat.send("确认", user=EYE)


def test_report_after_deadline_is_filed_late_for_the_missing_month(wechat, demo, clock, session_factory):
    clock.now = at(2027, 1, 5, 9, 30)
    echo = wechat.send("月报 义诊两次，服务八十人次", user=MATERNAL)
    assert "2026年12月" in echo and "逾期" in echo
    assert "逾期报送" in wechat.send("确认", user=MATERNAL)
    assert report_of(session_factory, "maternal", "2026-12").late is True


def test_unreadable_report_gets_the_format_and_other_text_is_not_swallowed(wechat, demo, clock):
    clock.now = at(2026, 12, 20, 10, 0)
    assert "结对活动3次" in wechat.send("月报 本月一切正常", user=EYE)
    wechat.send("月报", user=EYE)
    assert "没有从您的消息中识别出月报数字" in wechat.send("我们本月情况还行", user=EYE)
    assert "任务" in wechat.send("任务", user=EYE)  # commands still work with a draft open
    clock.now += timedelta(hours=25)  # an abandoned draft stops catching free text
    assert "没有从您的消息中识别出月报数字" not in wechat.send("我们本月情况还行", user=EYE)


@pytest.mark.pg
def test_missing_list_and_urge_at_most_once_a_day(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 28, 10, 0)
    wechat.send("月报 " + CONTENT, user=EYE)
    wechat.send("确认", user=EYE)
    missing = wechat.send("未报送", user=OFFICE)
    assert "2026年12月" in missing and "共9个" in missing and "五官科党支部" not in missing
    assert "已向 9 个支部发送催报" in wechat.send("催报", user=OFFICE)
    assert len(texts_to(session_factory, MATERNAL)) == 1 and texts_to(session_factory, EYE) == []
    again = wechat.send("催报", user=OFFICE)
    assert "今天已催报过" in again and "已向" not in again
    assert len(texts_to(session_factory, MATERNAL)) == 1
    clock.now = at(2026, 12, 29, 10, 0)
    assert "已向 9 个支部" in wechat.send("催报", user=OFFICE)
    assert len(texts_to(session_factory, MATERNAL)) == 2


def test_branch_that_filed_gets_no_followup(wechat, demo, clock, settings, session_factory):
    clock.now = at(2026, 12, 30, 16, 0)
    wechat.send("月报 " + CONTENT, user=EYE)
    wechat.send("确认", user=EYE)
    followup = next(s for s in settings.schedules if s.name == "report_followup")
    with session_factory() as s:
        queued = jobs.fire_at(s, settings, followup, at(2026, 12, 31, 9, 0))
        s.commit()
    assert queued == secretaries(session_factory) - 1  # every secretary but the one who filed
    assert texts_to(session_factory, EYE) == []
    assert "尚未报送2026年12月工作月报" in texts_to(session_factory, MATERNAL)[-1]


def test_office_notice_announces_and_reminds_once(wechat, demo, clock, settings, session_factory):
    clock.now = at(2026, 12, 21, 9, 0)
    reply = wechat.send("通知 2026-12-30 14:30 全体支部书记会议", user=OFFICE)
    assert "已通知各支部书记 10 人" in reply and "12-27 14:30" in reply and "12-30 13:30" in reply
    assert "全体支部书记会议" in texts_to(session_factory, EYE)[-1]
    window = timedelta(hours=24)
    with session_factory() as s:
        assert jobs.remind_events(s, settings, now=at(2026, 12, 27, 14, 31), window=window) == 10
        assert jobs.remind_events(s, settings, now=at(2026, 12, 27, 14, 32), window=window) == 0
        s.commit()
    assert len(texts_to(session_factory, EYE)) == 2
    assert "请发送「通知 时间 内容」" in wechat.send("通知 开会", user=OFFICE)
