"""Deadlines of 督办 items, run by the escalation sweep: a reminder to the owner some working days
before the due date, and at overdue one to the owner and one to the office. Each level once per
item and due date (a reminder_claims row); nothing in quiet hours or on rest days."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.workdays import in_quiet_hours
from models.joint import OPEN_ITEM_STATUSES, JointItem
from services.joint import items as svc
from services.joint import notices
from services.org import structure as org
from services.reminders import fanout
from services.shared.workdays import build_calendar

SCHEDULE = "joint"


def sweep(session: Session, settings: Settings, *, now: datetime) -> int:
    """Queue every 督办 reminder due at `now`; return how many messages were queued."""
    cal = build_calendar(settings)
    local = now.astimezone(settings.tz)
    if in_quiet_hours(now, *settings.tasks.quiet) or not cal.is_workday(local.date()):
        return 0
    today, queued = local.date(), 0
    rows = session.scalars(select(JointItem).where(JointItem.status.in_(OPEN_ITEM_STATUSES))
                           .order_by(JointItem.id)).all()
    for item in rows:
        stamp = item.due.isoformat()
        if item.due < today:
            if fanout.claim_once(session, SCHEDULE, item.number, f"overdue@{stamp}", now=now):
                queued += _overdue(session, item, now=now, sandbox=settings.sandbox)
        elif cal.workdays_before(item.due, settings.joint.remind_before_days) <= today and \
                fanout.claim_once(session, SCHEDULE, item.number, f"before@{stamp}", now=now):
            text = notices.JOINT_DUE_SOON.format(number=item.number, title=item.title, due=stamp)
            queued += svc.notify(session, svc.owner_people(session, item), text, item, now=now,
                                 sandbox=settings.sandbox)
    session.flush()
    return queued


def _overdue(session: Session, item: JointItem, *, now: datetime, sandbox: bool) -> int:
    values = dict(number=item.number, title=item.title, due=item.due.isoformat(), owner=item.owner_name)
    queued = svc.notify(session, svc.owner_people(session, item), notices.JOINT_OVERDUE_OWNER.format(**values),
                        item, now=now, sandbox=sandbox)
    return queued + svc.notify(session, org.office_staff(session, item.consortium_id),
                               notices.JOINT_OVERDUE_OFFICE.format(**values), item, now=now, sandbox=sandbox)
