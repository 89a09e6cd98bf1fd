"""Monthly work reports (月报) of party branches, and a secretary's pending draft."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, str32
from models.org import Branch, Person

COUNT_FIELDS = ("activities", "clinics", "clinic_people", "trainings", "lectures", "problems")


class MonthlyReport(Base):
    """A branch's filed report for one month (`period` = "2026-12"); `late` if filed after the deadline."""
    __tablename__ = "monthly_reports"
    __table_args__ = (UniqueConstraint("branch_id", "period"),)
    id: Mapped[intpk]
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    period: Mapped[str] = mapped_column(String(7))
    counts: Mapped[dict] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(default=False)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    filed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    branch: Mapped[Branch] = relationship(lazy="joined")
    filed_by: Mapped[Person | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<MonthlyReport {self.branch_id} {self.period}{' late' if self.late else ''}>"


class ReportDraft(Base):
    """What a secretary is filling in: `collecting` (guided, waiting for content) or `confirm`."""
    __tablename__ = "report_drafts"
    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    period: Mapped[str] = mapped_column(String(7))
    stage: Mapped[str32]
    counts: Mapped[dict] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<ReportDraft {self.person_id} {self.period} {self.stage}>"
