"""Task deadlines (issue 5): accept reminders -> deputies -> office, overdue, rating reminder; working time only."""
from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.config import ConfigError, load_settings
from models.org import Branch, Person
from models.outbox import OutboxMessage
from models.task import Task, TaskEvent
from services.tasks import escalation

SH = ZoneInfo("Asia/Shanghai")
MEMBER, EYE, OFFICE, DEPUTY = "demo-member-BSZ", "demo-sec-eye_ent", "demo-office-linxi", "deputy-eye"
REQUEST = "我们想请县医院眼科专家来村里做一次白内障筛查"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def submit(wechat, clock, when) -> str:
    clock.now = when
    return re.search(r"T-\d{4}-\d{4}", wechat.send(REQUEST, user=MEMBER)).group(0)


def sweep(session_factory, settings, when) -> int:
    with session_factory() as s:
        queued = escalation.sweep(s, settings, now=when)
        s.commit()
    return queued


def texts_to(session_factory, openid) -> list[str]:
    with session_factory() as s:
        return list(s.scalars(select(OutboxMessage.text).where(OutboxMessage.to_openid == openid,
                                                               OutboxMessage.kind == "reminder")
                              .order_by(OutboxMessage.id)))


def add_deputy(session_factory, clock) -> None:
    with session_factory() as s:
        branch = s.scalar(select(Branch).where(Branch.code == "eye_ent"))
        s.add(Person(openid=DEPUTY, name="副书记", role="secretary", is_deputy=True, branch_id=branch.id,
                     consortium_id=branch.consortium_id, created_at=clock.now, bound_at=clock.now))
        s.commit()


@pytest.mark.pg
def test_unaccepted_task_reminds_secretary_then_deputies_then_office(wechat, demo, clock, settings,
                                                                     session_factory):
    add_deputy(session_factory, clock)
    number = submit(wechat, clock, at(2026, 11, 23, 9, 0))  # a Monday
    assert sweep(session_factory, settings, at(2026, 11, 23, 12, 59)) == 0
    assert sweep(session_factory, settings, at(2026, 11, 23, 13, 0)) == 1
    assert sweep(session_factory, settings, at(2026, 11, 23, 13, 0)) == 0  # idempotent
    assert f"【待接单提醒】{number} 已等待 4 个工作小时" in texts_to(session_factory, EYE)[-1]
    assert texts_to(session_factory, DEPUTY) == []
    assert sweep(session_factory, settings, at(2026, 11, 23, 17, 0)) == 1
    assert "已等待 8 个工作小时" in texts_to(session_factory, DEPUTY)[-1]
    assert sweep(session_factory, settings, at(2026, 11, 24, 11, 59)) == 0  # 8.5 h Monday + 3.5 h = 12 h at noon
    assert sweep(session_factory, settings, at(2026, 11, 24, 12, 0)) == 1
    assert "【超时未接单】" in texts_to(session_factory, OFFICE)[-1]
    assert sweep(session_factory, settings, at(2026, 11, 24, 15, 0)) == 0
    assert len(texts_to(session_factory, EYE)) == 1


def test_quiet_hours_and_weekends_hold_reminders(wechat, demo, clock, settings, session_factory):
    submit(wechat, clock, at(2026, 11, 27, 13, 0))  # Friday: 4 working hours are up at 17:00
    assert sweep(session_factory, settings, at(2026, 11, 27, 22, 0)) == 0   # quiet hours
    assert sweep(session_factory, settings, at(2026, 11, 28, 10, 0)) == 0   # Saturday
    assert sweep(session_factory, settings, at(2026, 11, 30, 8, 30)) == 1   # Monday morning
    assert texts_to(session_factory, EYE)


def test_unresolved_after_five_working_days_is_overdue_once(wechat, demo, clock, settings, session_factory):
    number = submit(wechat, clock, at(2026, 11, 23, 9, 0))
    wechat.send(f"接单 {number}", user=EYE)
    assert sweep(session_factory, settings, at(2026, 11, 30, 8, 59)) == 0
    assert sweep(session_factory, settings, at(2026, 11, 30, 9, 0)) == 2  # office and branch
    assert sweep(session_factory, settings, at(2026, 11, 30, 9, 10)) == 0
    assert f"【超期未办结】{number}" in texts_to(session_factory, OFFICE)[-1]
    with session_factory() as s:
        task = s.scalar(select(Task).where(Task.number == number))
        assert task.overdue and task.status == "accepted"
        assert s.scalar(select(TaskEvent.action).where(TaskEvent.task_id == task.id, TaskEvent.action == "overdue"))


def test_overdue_clock_skips_national_day(wechat, demo, clock, settings, session_factory):
    number = submit(wechat, clock, at(2026, 9, 30, 10, 0))
    wechat.send(f"接单 {number}", user=EYE)
    # Sep 30 7.5 h, Oct 1-7 holiday, Oct 8, 9, 10 (make-up Saturday), 12: 36 h; 1.5 h more on Oct 13
    assert sweep(session_factory, settings, at(2026, 10, 13, 9, 59)) == 0
    assert sweep(session_factory, settings, at(2026, 10, 13, 10, 0)) == 2


def test_unrated_resolution_gets_one_reminder_after_three_days(wechat, demo, clock, settings, session_factory):
    number = submit(wechat, clock, at(2026, 11, 23, 9, 0))
    clock.now = at(2026, 11, 23, 10, 0)
    wechat.send(f"办结 {number} 已安排专家下乡", user=EYE)
    assert sweep(session_factory, settings, at(2026, 11, 26, 9, 59)) == 0
    assert sweep(session_factory, settings, at(2026, 11, 26, 10, 0)) == 1
    assert sweep(session_factory, settings, at(2026, 11, 27, 10, 0)) == 0
    assert f"{number} 已办结 3 天" in texts_to(session_factory, MEMBER)[-1]


@pytest.mark.pg
def test_escalation_fired_by_hand_twice_queues_once(wechat, demo, clock, settings, tmp_path):
    from bot import cli
    submit(wechat, clock, at(2026, 11, 23, 9, 0))
    env = {"DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(tmp_path)}
    args = ["schedule", "fire", "escalation", "--at", "2026-11-23T14:00+08:00"]
    assert json.loads(CliRunner().invoke(cli, args, env=env).stdout) == {"queued": 1}
    assert json.loads(CliRunner().invoke(cli, args, env=env).stdout) == {"queued": 0}


def test_task_deadline_config_errors_name_the_key(tmp_path):
    env = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": "sqlite://"}
    for tasks, key in (({"quiet_hours": "9pm"}, "tasks.quiet_hours"),
                       ({"accept_within_working_hours": 0}, "tasks.accept_within_working_hours"),
                       ({"resolve_within_working_days": "five"}, "tasks.resolve_within_working_days")):
        with pytest.raises(ConfigError) as info:
            load_settings(environ=env, overrides={"tasks": tasks})
        assert info.value.key == key
