"""Deadlines of tasks (issue 5), working-day aware; `sweep` is the scheduled job's body.

* not accepted within N working hours: remind the secretary (N), the deputies (2N),
  then tell the office (3N); each level once per routing of the task;
* not resolved within M working days: mark overdue, tell the office and the branch;
* resolved but unrated after K days: one reminder to the requester.

Each level is claimed by a unique reminder_claims row, so a second sweep at the same
instant (or a concurrent one) queues nothing new. Nothing is sent in quiet hours or on
rest days: the next sweep in working time catches up.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.config.tasks import EscalationPolicy
from core.workdays import WorkCalendar, in_quiet_hours
from models.org import Person
from models.task import OPEN_STATUSES, Task, TaskEvent
from services.messages import notices
from services.org import structure as org
from services.reminders import fanout as reminders
from services.messages import outbox as outbox_svc
from services.shared.workdays import build_calendar

SCHEDULE = "escalation"
RATING_LOOKBACK_DAYS = 7


def _send(session: Session, people: list[Person], text: str, task: Task, *, now: datetime,
          sandbox: bool) -> int:
    for person in people:
        outbox_svc.enqueue(session, person.openid, reminders.KIND, text, now=now, sandbox=sandbox,
                           payload={"task": task.number, "schedule": SCHEDULE})
    return len(people)


def _claim(session: Session, task: Task, level: str, *, now: datetime) -> bool:
    return reminders.claim_once(session, SCHEDULE, task.number, level, now=now)


def _accept_levels(session: Session, task: Task, cal: WorkCalendar, policy: EscalationPolicy, *,
                   now: datetime, sandbox: bool) -> int:
    waited = cal.working_hours_between(task.routed_at, now, *policy.working)
    staff = org.branch_staff(session, task.branch_id)
    secretaries = [p for p in staff if not p.is_deputy] or staff
    deputies = [p for p in staff if p.is_deputy]
    stamp = int(task.routed_at.timestamp())
    queued = 0
    for level, people in ((1, secretaries), (2, deputies), (3, None)):
        hours = policy.accept_hours * level
        if waited < hours or not _claim(session, task, f"accept{level}@{stamp}", now=now):
            continue
        shown = f"{hours:g}"
        if people is None:
            text = notices.ACCEPT_ESCALATED.format(number=task.number, branch=task.branch.name, hours=shown,
                                                  office=task.office_name)
            people = org.office_staff(session, task.consortium_id)
        else:
            text = notices.ACCEPT_REMINDER.format(number=task.number, hours=shown)
        queued += _send(session, people, text, task, now=now, sandbox=sandbox)
    return queued


def _overdue(session: Session, task: Task, cal: WorkCalendar, policy: EscalationPolicy, *,
             now: datetime, sandbox: bool) -> int:
    due = cal.add_working_hours(task.created_at, policy.resolve_days * policy.day_hours, *policy.working)
    if now < due or not _claim(session, task, "overdue", now=now):
        return 0
    session.execute(update(Task).where(Task.id == task.id).values(overdue=True)
                    .execution_options(synchronize_session=False))
    session.add(TaskEvent(task_id=task.id, action="overdue", from_status=task.status, to_status=task.status,
                          to_branch=task.branch.code if task.branch else None, created_at=now,
                          note=f"{policy.resolve_days} working days"))
    branch = task.owner_name
    queued = _send(session, org.office_staff(session, task.consortium_id),
                   notices.OVERDUE_OFFICE.format(number=task.number, branch=branch, days=policy.resolve_days),
                   task, now=now, sandbox=sandbox)
    if task.branch_id:
        queued += _send(session, org.branch_staff(session, task.branch_id),
                        notices.OVERDUE_BRANCH.format(number=task.number, days=policy.resolve_days),
                        task, now=now, sandbox=sandbox)
    return queued


def _rating(session: Session, task: Task, policy: EscalationPolicy, *, now: datetime, sandbox: bool) -> int:
    if now - task.resolved_at < timedelta(days=policy.rating_days) or not _claim(session, task, "rating", now=now):
        return 0
    return _send(session, [task.requester], notices.RATING_REMINDER.format(number=task.number),
                 task, now=now, sandbox=sandbox)


def sweep(session: Session, settings: Settings, *, now: datetime) -> int:
    """Queue every deadline reminder due at `now`; return how many messages were queued."""
    policy = settings.tasks
    cal = build_calendar(settings)
    if in_quiet_hours(now, *policy.quiet) or not cal.is_workday(now.astimezone(settings.tz)):
        return 0
    sandbox, queued = settings.sandbox, 0
    open_tasks = session.scalars(select(Task).where(Task.status.in_(OPEN_STATUSES), Task.created_at <= now)
                                 .order_by(Task.id)).all()
    for task in open_tasks:
        if task.status == "routed" and task.routed_at and task.branch_id:
            queued += _accept_levels(session, task, cal, policy, now=now, sandbox=sandbox)
        if not task.overdue:
            queued += _overdue(session, task, cal, policy, now=now, sandbox=sandbox)
    oldest = now - timedelta(days=policy.rating_days + RATING_LOOKBACK_DAYS)  # no reminders for old history
    unrated = session.scalars(select(Task).where(Task.status == "resolved", Task.rating.is_(None),
                                                 Task.resolved_at <= now, Task.resolved_at > oldest)
                              .order_by(Task.id)).all()
    for task in unrated:
        queued += _rating(session, task, policy, now=now, sandbox=sandbox)
    session.flush()
    return queued
