"""The November 四个一 reminder (schedule kind `pairing`): each secretary whose pairings still miss
items this year gets one message listing them; claimed per (schedule, period, openid), so idempotent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.config import Settings
from services.pairing import agreements as pairing
from services.reminders import fanout as reminders


def remind_four_ones(session: Session, settings: Settings, schedule, occ, *, now: datetime) -> int:
    """Queue the reminder to the schedule's audience, limited to branches with incomplete pairings."""
    incomplete = pairing.incomplete_by_branch(session, occ.target.year)
    messages = []
    for r in reminders.recipients(session, schedule.audience, consortium=schedule.consortium):
        rows = incomplete.get(r.branch_id)
        if not rows:
            continue
        values = {"period": occ.label(), "date": f"{occ.target.month}月{occ.target.day}日", "deadline": "12月31日",
                  "missing": pairing.missing_text(rows), "count": str(len(rows)), "branch": r.place}
        messages.append((r.openid, schedule.text.format(**values)))
    return reminders.fan_out(session, schedule.name, occ.period, messages, now=now, sandbox=settings.sandbox,
                             payload={"kind": "four_ones"})
