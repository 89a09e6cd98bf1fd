"""Year-end summary per branch (述职评议 material): activities and their counts, people served, tasks
resolved and their average rating, monthly reports on time, 四个一 completion; as rows and as .xlsx."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.org import Branch, Consortium
from models.pairing import ACTIVITY_KINDS, Activity
from models.report import MonthlyReport
from models.task import Task
from services.shared.spreadsheets import Column, write_workbook
from services.pairing.agreements import KIND_LABELS, pairing_rows

CHECKS = ("bp", "glucose", "ecg", "ultrasound")


@dataclass
class BranchSummary:
    code: str
    name: str
    kinds: dict[str, int] = field(default_factory=dict)
    people: int = 0          # people seen at 义诊 (接诊)
    attendees: int = 0       # staff at lectures and training
    checks: int = 0          # blood pressure, glucose, ECG, ultrasound
    leaflets: int = 0
    resolved: int = 0
    avg_rating: float | None = None
    reports_on_time: int = 0
    reports_late: int = 0
    reports_due: int = 0
    pairings: int = 0
    pairings_complete: int = 0

    @property
    def activities(self) -> int:
        return sum(self.kinds.values())

    def to_dict(self) -> dict:
        return {"branch": self.code, "name": self.name, "activities": self.activities, "kinds": self.kinds,
                "people": self.people, "attendees": self.attendees, "checks": self.checks,
                "leaflets": self.leaflets, "resolved": self.resolved,
                "avg_rating": round(self.avg_rating, 2) if self.avg_rating is not None else None,
                "reports_on_time": self.reports_on_time, "reports_late": self.reports_late,
                "reports_due": self.reports_due, "pairings": self.pairings,
                "pairings_complete": self.pairings_complete}


def _months_due(year: int, today: date) -> int:
    """Months of `year` whose report is due by `today` (a month is due once it is over)."""
    if year < today.year:
        return 12
    return max(0, today.month - 1) if year == today.year else 0


def year_summary(session: Session, consortium_id: int, year: int, *, tz: ZoneInfo, today: date) -> list[BranchSummary]:
    """One row per branch of the consortium, in branch order."""
    branches = session.scalars(select(Branch).where(Branch.consortium_id == consortium_id).order_by(Branch.id)).all()
    rows = {b.id: BranchSummary(b.code, b.name, reports_due=_months_due(year, today)) for b in branches}
    for a in session.scalars(select(Activity).where(Activity.consortium_id == consortium_id,
                                                    Activity.held_on >= date(year, 1, 1),
                                                    Activity.held_on <= date(year, 12, 31))):
        row = rows[a.branch_id]
        row.kinds[a.kind] = row.kinds.get(a.kind, 0) + 1
        c = a.counts or {}
        row.people += int(c.get("people", 0))
        row.attendees += int(c.get("attendees", 0))
        row.checks += sum(int(c.get(k, 0)) for k in CHECKS)
        row.leaflets += int(c.get("leaflets", 0))
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    for branch_id, n, avg in session.execute(
            select(Task.branch_id, func.count(Task.id), func.avg(Task.rating))
            .where(Task.consortium_id == consortium_id, Task.status == "resolved", Task.resolved_at >= start,
                   Task.resolved_at < end).group_by(Task.branch_id)):
        if branch_id in rows:
            rows[branch_id].resolved, rows[branch_id].avg_rating = n, float(avg) if avg is not None else None
    for branch_id, late in session.execute(
            select(MonthlyReport.branch_id, MonthlyReport.late).join(Branch, MonthlyReport.branch_id == Branch.id)
            .where(Branch.consortium_id == consortium_id, MonthlyReport.period.like(f"{year:04d}-%"))):
        if late:
            rows[branch_id].reports_late += 1
        else:
            rows[branch_id].reports_on_time += 1
    for p in pairing_rows(session, year, consortium_id=consortium_id):
        rows[p.branch_id].pairings += 1
        rows[p.branch_id].pairings_complete += p.complete
    return [rows[b.id] for b in branches]


SUMMARY_COLUMNS = (Column("支部", 16), *[Column(KIND_LABELS[k], 8) for k in ACTIVITY_KINDS], Column("活动合计", 9),
                   Column("义诊接诊人次", 12), Column("培训讲座参加人次", 14), Column("检查人次", 9),
                   Column("发放资料", 9), Column("办结诉求", 9), Column("平均评价", 9), Column("月报按时", 9),
                   Column("月报迟报", 9), Column("月报应报", 9), Column("结对单位", 9), Column("四个一完成", 10))


def summary_values(rows: Iterable[BranchSummary]) -> Iterable[list[Any]]:
    for r in rows:
        yield [r.name, *[r.kinds.get(k, 0) for k in ACTIVITY_KINDS], r.activities, r.people, r.attendees, r.checks,
               r.leaflets, r.resolved, round(r.avg_rating, 2) if r.avg_rating is not None else None,
               r.reports_on_time, r.reports_late, r.reports_due, r.pairings, r.pairings_complete]


def export_summary(session: Session, consortia: list[Consortium], year: int, out: IO[bytes] | Path, *,
                   tz: ZoneInfo, today: date) -> int:
    """The year-end summary, one sheet per consortium; returns the number of branch rows."""
    sheets = [(f"{c.name}{year}年", SUMMARY_COLUMNS,
               list(summary_values(year_summary(session, c.id, year, tz=tz, today=today)))) for c in consortia]
    return write_workbook(out, sheets)
