"""Scheduler: occurrences over a whole year, exactly once (twice fired, two instances), catch-up, config errors."""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.config import ConfigError, load_settings
from core.workdays import WorkCalendar
from models.db import make_engine, make_session_factory
from models.org import Pairing, Person
from models.outbox import OutboxMessage
from scheduler import jobs
from scheduler.runner import OccurrenceTrigger, Runner, build_scheduler
from services.shared.workdays import build_calendar

SH = ZoneInfo("Asia/Shanghai")
LINXI_BRANCHES = 10  # demo: one secretary per branch in each consortium


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def count_people(session_factory, where) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(Person).where(where))


def secretaries(session_factory) -> int:
    return count_people(session_factory, Person.role == "secretary")


def reminders_sent(session_factory, schedule: str | None = None) -> list[OutboxMessage]:
    with session_factory() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id))
        return [m for m in rows if schedule is None or m.payload.get("schedule") == schedule]


def schedule_named(settings, name):
    return next(s for s in settings.schedules if s.name == name)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def plain_settings(tmp_path):
    """Settings on SQLite, for tests that need no app (no PostgreSQL round)."""
    return load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})


def fire_times(settings, start, end) -> list[tuple[datetime, str]]:
    """What APScheduler would run: each schedule's trigger stepped from start to end."""
    cal, result = build_calendar(settings), []
    for schedule in settings.schedules:
        trigger, previous = OccurrenceTrigger(schedule, cal, SH), None
        while (fire := trigger.get_next_fire_time(previous, start)) and fire <= end:
            result.append((fire, schedule.name))
            previous = fire
    return sorted(result)


def drive(runner: Runner, clock: Clock, steps) -> None:
    for fire, name in steps:
        clock.now = fire + timedelta(seconds=5)
        runner.run_schedule(name)


def test_whole_year_time_machine(settings, demo, session_factory):
    start, end = at(2026, 2, 1), at(2027, 1, 31, 23, 59)
    clock = Clock(start)
    runner = Runner(settings, session_factory, clock=clock, holder="time-machine")
    assert runner.check_leader()
    steps = fire_times(settings, start, end)
    drive(runner, clock, steps)
    runner.close()
    cal = build_calendar(settings)
    assert all(cal.is_workday(fire.date()) for fire, _ in steps)
    spring, national = (date(2026, 2, 15), date(2026, 2, 23)), (date(2026, 10, 1), date(2026, 10, 7))
    assert not [f for f, _ in steps if spring[0] <= f.date() <= spring[1] or national[0] <= f.date() <= national[1]]
    monthly = [f.date().isoformat() for f, name in steps if name == "report_reminder"]
    assert monthly == ["2026-02-25", "2026-03-25", "2026-04-24", "2026-05-25", "2026-06-25", "2026-07-24",
                       "2026-08-25", "2026-09-24", "2026-10-23", "2026-11-25",
                       "2026-12-25", "2027-01-25"]
    summaries = [f.date().isoformat() for f, name in steps if name == "report_summary"]
    assert summaries[-2:] == ["2026-12-01", "2027-01-04"]  # 2027-01-01 is a holiday override
    sent = reminders_sent(session_factory, "report_reminder")
    assert len(sent) == 12 * secretaries(session_factory)
    december = [m for m in sent if m.payload["period"] == "2026-12" and m.to_openid == "demo-sec-eye_ent"]
    assert len(december) == 1 and "12月31日" in december[0].text and "2026年12月" in december[0].text
    summary = reminders_sent(session_factory, "report_summary")[-1]
    assert summary.payload["period"] == "2026-12" and f"（{LINXI_BRANCHES}个）" in summary.text
    total = len(reminders_sent(session_factory))
    drive(runner, clock, steps)  # the whole year again: nothing new
    assert len(reminders_sent(session_factory)) == total


@pytest.mark.pg
def test_joint_meeting_goes_to_paired_branches_and_units_two_weeks_ahead(settings, demo, session_factory):
    steps = [s for s in fire_times(settings, at(2026, 12, 1), at(2026, 12, 31)) if s[1] == "joint_meeting"]
    assert [f.date() for f, _ in steps] == [date(2026, 12, 11)]  # 25th (Fri) minus 14 days
    with session_factory() as s:
        queued = jobs.fire_at(s, settings, schedule_named(settings, "joint_meeting"), steps[0][0])
        s.commit()
    recipients = {m.to_openid for m in reminders_sent(session_factory, "joint_meeting")}
    paired = count_people(session_factory, ((Person.role == "secretary") & Person.branch_id.in_(
        select(Pairing.branch_id))) | ((Person.role == "member") & Person.unit_id.in_(select(Pairing.unit_id))))
    assert queued == len(recipients) == paired and "demo-member-BSZ" in recipients
    assert "demo-sec-eye_ent" in recipients
    assert "2026年第4季度" in reminders_sent(session_factory, "joint_meeting")[0].text


def test_joint_meeting_reaches_a_unit_through_its_contact_when_it_has_one(settings, demo, session_factory):
    """A unit with a contact (联络人): only that person is asked to prepare; a unit without one: its members."""
    from models.org import Unit
    from services.joint import contacts
    from services.reminders import fanout
    with session_factory() as s:
        bsz = s.scalar(select(Unit).where(Unit.code == "BSZ"))
        s.add(Person(openid="bsz-nurse", name="护士长", role="member", consortium_id=bsz.consortium_id,
                     unit_id=bsz.id, created_at=at(2026, 12, 1), bound_at=at(2026, 12, 1)))
        s.commit()
        before = {r.openid for r in fanout.recipients(s, "paired")}
        assert {"demo-member-BSZ", "bsz-nurse", "demo-member-QSZ"} <= before
        contacts.set_contact(s, bsz, s.scalar(select(Person).where(Person.openid == "demo-member-BSZ")),
                             now=at(2026, 12, 1))
        s.commit()
        after = {r.openid for r in fanout.recipients(s, "paired")}
    assert after == before - {"bsz-nurse"}  # the contact speaks for 白沙镇卫生院; 青山镇 (no contact) unchanged


def test_rest_day_25th_moves_to_previous_working_day(plain_settings):
    schedule, cal = schedule_named(plain_settings, "report_reminder"), build_calendar(plain_settings)
    trigger = OccurrenceTrigger(schedule, cal, SH)
    assert trigger.get_next_fire_time(None, at(2026, 10, 1)) == at(2026, 10, 23, 9)   # 25th is a Sunday
    assert trigger.get_next_fire_time(None, at(2026, 9, 1)) == at(2026, 9, 24, 9)     # 中秋 Friday 25th
    assert trigger.get_next_fire_time(None, at(2026, 12, 1)) == at(2026, 12, 25, 9)   # a Friday: kept


@pytest.mark.pg
def test_same_reminder_fired_twice_sends_once(settings, demo, session_factory, tmp_path):
    from bot import cli
    env = {"DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(tmp_path)}
    args = ["schedule", "fire", "report_reminder", "--at", "2026-12-25T09:00+08:00"]
    first = CliRunner().invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"queued": secretaries(session_factory)}
    assert json.loads(CliRunner().invoke(cli, args, env=env).stdout) == {"queued": 0}
    listing = json.loads(CliRunner().invoke(cli, ["schedule", "list", "--json", "--from",
                                                  "2026-11-23T12:00+08:00"], env=env).stdout)
    row = next(r for r in listing if r["name"] == "report_reminder")
    assert row["next"] == ["2026-11-25T09:00:00+08:00", "2026-12-25T09:00:00+08:00", "2027-01-25T09:00:00+08:00"]


@pytest.mark.pg
def _takes_the_lead(runner, seconds: float = 5.0) -> bool:
    """The standby checks until it leads (PostgreSQL frees a dead session's lock a moment after it goes)."""
    import time
    deadline = time.monotonic() + seconds
    while not runner.check_leader():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_two_scheduler_instances_send_once(settings, demo, session_factory):
    """A deploy overlap: two processes (own engines) fire the same occurrence at once; one leader at a time."""
    factories = [make_session_factory(make_engine(settings.database_url)) for _ in range(2)]
    clock = Clock(at(2026, 12, 25, 9, 0, 5))
    a, b = (Runner(settings, f, clock=clock, holder=name) for f, name in zip(factories, "ab"))
    a.is_leader = b.is_leader = True  # both believe they are active
    barrier = threading.Barrier(2)
    results = []

    def run(runner):
        barrier.wait()
        results.append(runner.run_schedule("report_reminder"))

    threads = [threading.Thread(target=run, args=(r,)) for r in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, secretaries(session_factory)]
    assert len(reminders_sent(session_factory, "report_reminder")) == secretaries(session_factory)
    a.is_leader = b.is_leader = False
    assert a.check_leader() and not b.check_leader()  # a's catch-up on taking the lead sends nothing new
    assert not b.check_leader()
    assert len(reminders_sent(session_factory, "report_reminder")) == secretaries(session_factory)
    if settings.database_url.startswith("postgresql"):
        a.leader.conn.invalidate()  # the leader process dies: its connection (and lock) go
        factories[0].kw["bind"].dispose()
    else:
        clock.now += timedelta(seconds=46)  # the row lock's heartbeat goes stale
    assert _takes_the_lead(b)
    b.close()
    for factory in factories:
        factory.kw["bind"].dispose()


@pytest.mark.pg
def test_catch_up_fires_within_window_and_logs_beyond(settings, demo, session_factory, caplog):
    clock = Clock(at(2026, 12, 25, 20, 0))  # down since the morning: 09:00 was missed by 11 h
    first = Runner(settings, session_factory, clock=clock, holder="late")
    assert first.check_leader()
    first.close()
    assert len(reminders_sent(session_factory, "report_reminder")) == secretaries(session_factory)
    caplog.set_level(logging.WARNING, logger="tongxin.scheduler")
    clock.now = at(2027, 1, 26, 10, 0)  # 25 h after the January reminder
    runner = Runner(settings, session_factory, clock=clock, holder="later")
    runner.is_leader = True
    runner.catch_up()
    assert len(reminders_sent(session_factory, "report_reminder")) == secretaries(session_factory)
    assert "report_reminder: skipped 2027-01-25T09:00:00+08:00" in caplog.text


def test_config_error_names_its_key(tmp_path):
    env = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": "sqlite://"}
    base = {"name": "x1", "to": "secretaries", "when": {"day": 25}, "text": "hi {period}"}
    cases = [({**base, "when": {"day": 32}}, "schedules[0].when.day"),
             ({**base, "when": {"day": 1, "time": "25:00"}}, "schedules[0].when.time"),
             ({**base, "to": "nobody"}, "schedules[0].to"),
             ({**base, "text": "hi {who}"}, "schedules[0].text"),
             ({**base, "kind": "report", "period": "quarter"}, "schedules[0].period"),
             ({**base, "when": {"day": 1, "rest_day": "later"}}, "schedules[0].when.rest_day")]
    for schedule, key in cases:
        with pytest.raises(ConfigError) as info:
            load_settings(environ=env, overrides={"schedules": [schedule]})
        assert info.value.key == key, (schedule, info.value)
    with pytest.raises(ConfigError, match=r"calendar\.extra_holidays\[0\]"):
        load_settings(environ=env, overrides={"calendar": {"extra_holidays": ["2027-02-30"]}})


def test_bad_schedule_fails_at_start_up_naming_the_key(tmp_path, monkeypatch, capsys):
    import bot
    config = tmp_path / "config.yaml"
    original = (Path(bot.__file__).parent / "config.yaml").read_text(encoding="utf-8")
    config.write_text(original.replace("when: {day: 25, time: \"09:00\"", "when: {day: 35, time: \"09:00\""),
                      encoding="utf-8")
    monkeypatch.setenv("TONGXIN_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert bot.main(["schedule", "list", "--json"]) == 2
    assert "schedules[0].when.day" in capsys.readouterr().err


def test_scheduler_jobs_have_timezone_grace_and_coalescing(plain_settings, caplog):
    caplog.set_level(logging.WARNING)
    factory = make_session_factory(make_engine(plain_settings.database_url))
    scheduler = build_scheduler(plain_settings, factory, clock=lambda: at(2026, 11, 23, 12))
    assert "no official holiday data for 2027" in caplog.text
    thread = threading.Thread(target=scheduler.start, kwargs={"paused": True})
    thread.start()
    try:
        for _ in range(100):
            if scheduler.running:
                break
            threading.Event().wait(0.02)
        jobs_ = {j.id: j for j in scheduler.get_jobs()}
        assert {"leader", "events", "escalation", "report_reminder", "joint_meeting"} <= set(jobs_)
        for job in jobs_.values():
            assert str(job.trigger.timezone) == "Asia/Shanghai" and job.coalesce
            assert job.misfire_grace_time >= 15
        assert jobs_["report_reminder"].misfire_grace_time == 3600
    finally:
        scheduler.shutdown(wait=False)
        thread.join(timeout=5)


def test_every_schedule_kind_has_a_job():
    from core.config.schedules import KINDS
    assert set(jobs.JOBS) == set(KINDS)


def test_year_without_holiday_data_falls_back_without_crashing(plain_settings):
    cal = WorkCalendar()
    schedule = schedule_named(plain_settings, "report_reminder")
    trigger = OccurrenceTrigger(schedule, cal, SH)
    assert trigger.get_next_fire_time(None, at(2030, 5, 1)) == at(2030, 5, 24, 9)  # 25th is a Saturday


def test_schedule_consortium_key_is_checked_and_named(tmp_path):
    env = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": "sqlite://"}
    base = {"name": "x1", "to": "secretaries", "when": {"day": 25}, "text": "hi {period}"}
    with pytest.raises(ConfigError) as info:
        load_settings(environ=env, overrides={"schedules": [base, {**base, "name": "x2", "consortium": "nowhere"}]})
    assert info.value.key == "schedules[1].consortium" and "linxi, qinghe" in str(info.value)
    settings = load_settings(environ=env, overrides={"schedules": [base, {**base, "name": "x2", "consortium": "qinghe"}]})
    assert [s.consortium for s in settings.schedules] == [None, "qinghe"]


def test_a_consortium_schedule_reaches_only_that_consortium(tmp_path, db_url, session_factory, demo):
    from services.reminders import fanout as reminders
    overrides = {"schedules": [{"name": "qinghe_notice", "to": "secretaries", "consortium": "qinghe",
                                "when": {"day": 18, "time": "10:00"}, "text": "【督查】{branch}{period}"},
                               {"name": "qinghe_summary", "kind": "report_summary", "to": "office",
                                "consortium": "qinghe", "when": {"day": 1}, "text": "{missing}"}]}
    scoped = load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": db_url}, overrides=overrides)
    with session_factory() as s:
        everyone = {r.openid for r in reminders.recipients(s, "secretaries")}
        qinghe = {r.openid for r in reminders.recipients(s, "secretaries", consortium="qinghe")}
        assert qinghe and qinghe < everyone and all(o.startswith("demo-sec-qinghe-") for o in qinghe)
        assert jobs.fire_at(s, scoped, schedule_named(scoped, "qinghe_notice"), at(2026, 12, 18, 10)) == len(qinghe)
        assert jobs.fire_at(s, scoped, schedule_named(scoped, "qinghe_summary"), at(2026, 12, 1, 9)) == 1
        s.commit()
    assert {m.to_openid for m in reminders_sent(session_factory, "qinghe_notice")} == qinghe
    assert [m.to_openid for m in reminders_sent(session_factory, "qinghe_summary")] == ["demo-office-qinghe"]
    listing = json.loads(CliRunner().invoke(__import__("bot").cli, ["schedule", "list", "--json"], env={
        "DATABASE_URL": db_url, "TONGXIN_VAR_DIR": str(tmp_path)}).stdout)
    assert {r["name"]: r["consortium"] for r in listing}["report_reminder"] is None
