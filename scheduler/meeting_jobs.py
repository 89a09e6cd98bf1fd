"""三会一课 reminders (schedule kind `meetings`): only to branches that have not yet recorded the
kinds whose `meetings.kinds[].remind` names the schedule in their period, saying what is missing
(`本月支委会尚未召开；本季度党课尚未开展`); claimed per (schedule, period, openid), so idempotent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.config import Settings
from services.reminders import fanout as reminders
from services.meetings import matrix


def remind_meetings(session: Session, settings: Settings, schedule, occ, *, now: datetime) -> int:
    kinds = settings.meetings.reminded_by(schedule.name)
    people = reminders.recipients(session, schedule.audience, consortium=schedule.consortium)
    branch_ids = sorted({r.branch_id for r in people if r.branch_id is not None})
    behind = matrix.missing(session, kinds, occ.target, settings.tz, branch_ids=branch_ids) if kinds else {}
    date_text = f"{occ.target.month}月{occ.target.day}日"
    messages = []
    for r in people:
        missing = behind.get(r.branch_id)
        if not missing:
            continue
        values = {"period": occ.label(), "date": date_text, "deadline": date_text, "count": str(len(missing)),
                  "missing": "；".join(missing), "branch": r.place}
        messages.append((r.openid, schedule.text.format(**values)))
    return reminders.fan_out(session, schedule.name, occ.period, messages, now=now, sandbox=settings.sandbox,
                             payload={"kind": "meetings"})
