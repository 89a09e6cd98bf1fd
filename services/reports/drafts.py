"""The draft -> 确认 conversation that 月报 and 活动 share: what a secretary has open, looked up once a message.

Both features keep a draft per person until 确认 (or 取消). Which one a bare 确认, a free
text or a dated line belongs to is decided here, once, from both drafts: the newest wins,
and a 月报 draft opened more than DRAFT_TTL ago stops catching free text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models.org import Person
from services.pairing import activities
from services.reports import monthly

DRAFT_TTL = timedelta(hours=24)  # an abandoned 月报 draft stops catching the secretary's free text


@dataclass(frozen=True)
class OpenDrafts:
    report: Any     # ReportDraft | None
    activity: Any   # ActivityDraft | None
    now: datetime

    @property
    def newest(self) -> str | None:
        """"report" or "activity": the draft the secretary is working on (None: neither is open)."""
        if self.activity is None:
            return "report" if self.report is not None else None
        if self.report is None or self.activity.created_at >= self.report.created_at:
            return "activity"
        return "report"

    def awaiting(self, kind: str) -> bool:
        """`kind` is the newest draft and waits for 确认."""
        row = getattr(self, kind)
        return self.newest == kind and row.stage == "confirm"

    @property
    def report_catches_text(self) -> bool:
        """Free text goes to the 月报 draft while it is fresh."""
        return self.report is not None and self.report.created_at >= self.now - DRAFT_TTL


def open_drafts(session: Session, person: Person, *, now: datetime) -> OpenDrafts:
    return OpenDrafts(monthly.pending_draft(session, person), activities.pending_draft(session, person), now)
