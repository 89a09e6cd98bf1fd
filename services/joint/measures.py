"""What the score counts, read from the records of one branch in [start, end) up to `now`.

Each measure returns (value, target-side count) as a `Measure`; `value` None means nothing to count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.joint import JointItem, YearPlan
from models.org import Pairing
from models.pairing import Activity
from models.party import Attendance, Meeting
from models.report import MonthlyReport
from models.task import OPEN_STATUSES, Task
from services.joint.items import closed_on_time
from services.meetings.matrix import period_bounds
from services.pairing.activities import KIND_WORDS
from models.pairing import FOUR_ITEMS
from services.pairing.agreements import pairing_rows


@dataclass(frozen=True)
class Window:
    """The scored period as local-midnight bounds, cut at `now` (nothing is due from the future)."""
    start: datetime
    end: datetime
    now: datetime
    tz: ZoneInfo

    @property
    def until(self) -> datetime:
        return min(self.end, self.now)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


def ratio(done: float, due: float) -> float | None:
    return round(done / due, 3) if due else None


def _subperiods(every: str, w: Window) -> list[tuple[datetime, datetime]]:
    """The months / quarters / years that overlap the window and have begun by `now`."""
    out, day = [], w.start.astimezone(w.tz).date()
    while True:
        start, end = period_bounds(every, day, w.tz)
        if start >= w.end or start > w.now:
            return out
        out.append((start, end))
        day = (end + timedelta(hours=12)).date()


def meetings_held(session: Session, branch_id: int, conf: MeetingsConf, w: Window) -> float | None:
    """三会一课: per kind and sub-period min(held, minimum), over the minimums required."""
    done = due = 0
    for kind in conf.branch_kinds:
        for start, end in _subperiods(kind.every, w):
            n = session.scalar(select(func.count(Meeting.id)).where(
                Meeting.branch_id == branch_id, Meeting.kind == kind.code, Meeting.status != "cancelled",
                Meeting.starts_at >= start, Meeting.starts_at < min(end, w.now)))
            done, due = done + min(n, kind.minimum), due + kind.minimum
    return ratio(done, due)


def attendance(session: Session, branch_id: int, w: Window) -> float | None:
    """实到 / (应到 − 请假) over the branch's meetings held in the window."""
    rows = dict(session.execute(select(Attendance.status, func.count()).join(Meeting, Meeting.id == Attendance.meeting_id)
                                .where(Meeting.branch_id == branch_id, Meeting.status != "cancelled",
                                       Meeting.starts_at >= w.start, Meeting.starts_at < w.until)
                                .group_by(Attendance.status)).all())
    return ratio(rows.get("present", 0), sum(rows.values()) - rows.get("leave", 0))


def reports_on_time(session: Session, branch_id: int, w: Window) -> float | None:
    """月报 filed on time, over the months of the window that have ended."""
    months = []
    for start, end in _subperiods("month", w):
        if end <= w.now:
            months.append(start.astimezone(w.tz).strftime("%Y-%m"))
    on_time = session.scalar(select(func.count(MonthlyReport.id)).where(
        MonthlyReport.branch_id == branch_id, MonthlyReport.period.in_(months), MonthlyReport.late.is_(False))) \
        if months else 0
    return ratio(on_time, len(months))


def _tasks(session: Session, branch_id: int, w: Window):
    resolved = select(Task).where(Task.branch_id == branch_id, Task.status == "resolved",
                                  Task.resolved_at >= w.start, Task.resolved_at < w.until)
    late_open = select(Task).where(Task.branch_id == branch_id, Task.status.in_(OPEN_STATUSES),
                                   Task.overdue.is_(True), Task.created_at < w.until)
    return list(session.scalars(resolved)), list(session.scalars(late_open))


def requests_in_time(session: Session, branch_id: int, w: Window) -> float | None:
    """Requests resolved within the deadline, over those resolved plus those open past it."""
    resolved, late_open = _tasks(session, branch_id, w)
    return ratio(sum(not t.overdue for t in resolved), len(resolved) + len(late_open))


def average_rating(session: Session, branch_id: int, w: Window) -> float | None:
    value = session.scalar(select(func.avg(Task.rating)).where(
        Task.branch_id == branch_id, Task.rating.is_not(None), Task.resolved_at >= w.start,
        Task.resolved_at < w.until))
    return round(float(value), 2) if value is not None else None


def four_ones(session: Session, branch_id: int, year: int) -> float | None:
    """四个一 done (up to each target) over the yearly targets of the branch's pairings."""
    rows = pairing_rows(session, year, branch_id=branch_id)
    due = sum(r.targets.get(i, 1) for r in rows for i in FOUR_ITEMS)
    return ratio(sum(min(r.done.get(i, 0), r.targets.get(i, 1)) for r in rows for i in FOUR_ITEMS), due)


def items_on_time(session: Session, branch_id: int, w: Window) -> float | None:
    """督办 items due in the window (by today) or closed: closed by their due date, over all of them."""
    rows = session.scalars(select(JointItem).where(
        JointItem.owner_branch_id == branch_id, JointItem.due >= w.start.astimezone(w.tz).date(),
        JointItem.due < w.end.astimezone(w.tz).date())).all()
    counted = [i for i in rows if i.due < w.today or not i.is_open]
    return ratio(sum(closed_on_time(i, w.tz) for i in counted), len(counted))


def plan_counts(session: Session, branch_id: int, year: int, conf: MeetingsConf, tz: ZoneInfo,
                *, now: datetime, pairings: bool = True) -> list[tuple[str, int, int]]:
    """(target name, done, target) for each target of the branch's yearly plan; with pairings, also each
    per-pairing target as ("白沙镇卫生院·义诊", done, target)."""
    plan = session.scalar(select(YearPlan).where(YearPlan.branch_id == branch_id, YearPlan.year == year))
    if plan is None:
        return []
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    out = []
    for name, target in (plan.targets or {}).items():
        kind = conf.find(name) or conf.kind(name)
        if kind is not None:
            done = session.scalar(select(func.count(Meeting.id)).where(
                Meeting.branch_id == branch_id, Meeting.kind == kind.code, Meeting.status != "cancelled",
                Meeting.starts_at >= start, Meeting.starts_at < min(end, now)))
        else:
            q = select(func.count(Activity.id)).where(Activity.branch_id == branch_id,
                                                      Activity.held_on >= start.date(), Activity.held_on < end.date())
            if name in KIND_WORDS:
                q = q.where(Activity.kind == KIND_WORDS[name])
            done = session.scalar(q)
        out.append((name, done, int(target)))
    out += [(f"{unit}·{name}", done, target) for _, unit, name, done, target in
            (pairing_counts(session, plan) if pairings else [])]
    return out


def pairing_counts(session: Session, plan: YearPlan | None) -> list[tuple[int, str, str, int, int]]:
    """(unit id, unit name, target name, done, target) for each pairing of the plan's branch and each
    per-pairing target of the plan: the branch's activities at that unit in the plan's year."""
    targets = {name: int(n) for name, n in ((plan.pairing_targets or {}) if plan else {}).items() if int(n) > 0}
    if not targets:
        return []
    branch_id, start, end = plan.branch_id, date(plan.year, 1, 1), date(plan.year + 1, 1, 1)
    counts: dict[tuple[int, str], int] = {}
    for unit_id, kind, n in session.execute(
            select(Activity.unit_id, Activity.kind, func.count(Activity.id)).where(
                Activity.branch_id == branch_id, Activity.held_on >= start, Activity.held_on < end)
            .group_by(Activity.unit_id, Activity.kind)):
        counts[(unit_id, kind)] = n
    out = []
    for pairing in session.scalars(select(Pairing).where(Pairing.branch_id == branch_id).order_by(Pairing.unit_id)):
        for name, target in targets.items():
            kind = KIND_WORDS.get(name)
            done = sum(n for (u, k), n in counts.items() if u == pairing.unit_id and (kind is None or k == kind))
            out.append((pairing.unit_id, pairing.unit.name, name, done, target))
    return out


def plan_progress(session: Session, branch_id: int, year: int, conf: MeetingsConf, tz: ZoneInfo,
                  *, now: datetime) -> float | None:
    rows = [(d, t) for _, d, t in plan_counts(session, branch_id, year, conf, tz, now=now) if t > 0]
    return round(sum(min(1, d / t) for d, t in rows) / len(rows), 3) if rows else None
