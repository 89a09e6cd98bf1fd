"""How far each branch is with its meetings: counts per period against `meetings.kinds` minimums
(what is missing, 未开展), the branch × month matrix of the console, attendance rates, participation."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingKind, MeetingsConf
from models.org import Branch
from models.party import Attendance, Meeting, PartyMember

PERIOD_WORDS = {"month": "本月", "quarter": "本季度", "year": "本年度"}
VERB = {"lecture": "开展", "party_day": "开展"}


def period_bounds(every: str, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The month / quarter / year containing `day`, as local-midnight bounds [start, end)."""
    if every == "year":
        first, months = date(day.year, 1, 1), 12
    elif every == "quarter":
        first, months = date(day.year, (day.month - 1) // 3 * 3 + 1, 1), 3
    else:
        first, months = date(day.year, day.month, 1), 1
    index = first.year * 12 + first.month - 1 + months
    end = date(index // 12, index % 12 + 1, 1)
    return (datetime(first.year, first.month, 1, tzinfo=tz), datetime(end.year, end.month, 1, tzinfo=tz))


def held(session: Session, branch_ids: list[int] | None, kind: MeetingKind, day: date, tz: ZoneInfo,
         consortium_id: int | None = None) -> dict[int, int]:
    """Branch id -> meetings of `kind` recorded (not cancelled) in the period containing `day`."""
    start, end = period_bounds(kind.every, day, tz)
    q = (select(Meeting.branch_id, func.count()).where(Meeting.kind == kind.code, Meeting.status != "cancelled",
                                                       Meeting.starts_at >= start, Meeting.starts_at < end)
         .group_by(Meeting.branch_id))
    if branch_ids is not None:
        q = q.where(Meeting.branch_id.in_(branch_ids))
    if consortium_id is not None:
        q = q.where(Meeting.consortium_id == consortium_id)
    return dict(session.execute(q).all())


def missing_text(kind: MeetingKind, count: int) -> str:
    verb = VERB.get(kind.code, "召开")
    if count == 0 or kind.minimum <= 1:
        return f"{PERIOD_WORDS[kind.every]}{kind.name}尚未{verb}"
    return f"{PERIOD_WORDS[kind.every]}{kind.name}已{verb}{count}次，要求{kind.minimum}次"


def missing(session: Session, kinds: tuple[MeetingKind, ...], day: date, tz: ZoneInfo, *,
            branch_ids: list[int] | None = None, consortium_id: int | None = None) -> dict[int, list[str]]:
    """Branch id -> what is missing ("本月支委会尚未召开"), for branches behind on any of `kinds`."""
    if branch_ids is None:
        branch_ids = list(session.scalars(select(Branch.id).where(Branch.consortium_id == consortium_id)))
    result: dict[int, list[str]] = {}
    for kind in kinds:
        counts = held(session, branch_ids, kind, day, tz)
        for b in branch_ids:
            if counts.get(b, 0) < kind.minimum:
                result.setdefault(b, []).append(missing_text(kind, counts.get(b, 0)))
    return result


@dataclass
class MatrixRow:
    branch_id: int
    code: str
    name: str
    cells: list[tuple[int, int, bool]] = field(default_factory=list)  # (held, required, any late-recorded)
    present: int = 0
    due: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.present / self.due, 3) if self.due else None


def columns(kind: MeetingKind) -> list[str]:
    return {"month": [f"{m}月" for m in range(1, 13)], "quarter": [f"第{q}季度" for q in range(1, 5)],
            "year": ["全年"]}[kind.every]


def _column(kind: MeetingKind, month: int) -> int:
    return {"month": month - 1, "quarter": (month - 1) // 3, "year": 0}[kind.every]


def matrix(session: Session, consortium_id: int, year: int, kind: MeetingKind, tz: ZoneInfo, *,
           until: datetime) -> list[MatrixRow]:
    """One row per branch: held / required per period of `year` (meetings started by `until`)."""
    branches = session.execute(select(Branch.id, Branch.code, Branch.name)
                               .where(Branch.consortium_id == consortium_id).order_by(Branch.id)).all()
    rows = {b: MatrixRow(b, code, name, [(0, kind.minimum, False)] * len(columns(kind))) for b, code, name in branches}
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    for branch_id, starts_at, late in session.execute(
            select(Meeting.branch_id, Meeting.starts_at, Meeting.late_recorded)
            .where(Meeting.consortium_id == consortium_id, Meeting.kind == kind.code, Meeting.status != "cancelled",
                   Meeting.starts_at >= start, Meeting.starts_at < min(end, until))):
        row = rows.get(branch_id)
        if row is None:
            continue
        i = _column(kind, starts_at.astimezone(tz).month)
        h, r, lt = row.cells[i]
        row.cells[i] = (h + 1, r, lt or late)
    for branch_id, status, n in session.execute(
            select(Meeting.branch_id, Attendance.status, func.count()).join(Attendance, Attendance.meeting_id == Meeting.id)
            .where(Meeting.consortium_id == consortium_id, Meeting.status != "cancelled",
                   Meeting.starts_at >= start, Meeting.starts_at < min(end, until))
            .group_by(Meeting.branch_id, Attendance.status)):
        if branch_id in rows:
            rows[branch_id].present += n if status == "present" else 0
            rows[branch_id].due += n if status != "leave" else 0
    return list(rows.values())


def participation(session: Session, branch_id: int, year: int, tz: ZoneInfo, *, until: datetime) -> list[dict]:
    """Per member of the branch (archived included when they have history): meetings expected, present, leave."""
    start, end = datetime(year, 1, 1, tzinfo=tz), min(datetime(year + 1, 1, 1, tzinfo=tz), until)
    rows = session.execute(
        select(PartyMember.id, Attendance.status, func.count()).join(Attendance, Attendance.member_id == PartyMember.id)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.branch_id == branch_id, Meeting.status != "cancelled", Meeting.starts_at >= start,
               Meeting.starts_at < end).group_by(PartyMember.id, Attendance.status)).all()
    stats: dict[int, dict[str, int]] = {}
    for member_id, status, n in rows:
        stats.setdefault(member_id, {})[status] = n
    people = session.scalars(select(PartyMember).where(PartyMember.branch_id == branch_id).order_by(PartyMember.id))
    result = []
    for m in people:
        s = stats.get(m.id, {})
        if m.archived_at is not None and not s:
            continue
        expected = sum(s.values())
        result.append({"id": m.id, "name": m.name, "status": m.status, "duty": m.duty, "group": m.group_name,
                       "expected": expected, "present": s.get("present", 0), "leave": s.get("leave", 0),
                       "absent": s.get("expected", 0), "archived": m.archived_at is not None})
    return result


def report_prefill(session: Session, branch_id: int, period: str, conf: MeetingsConf, *,
                   tz: ZoneInfo) -> tuple[str, list[str]]:
    """月报 pre-fill: the month's meetings held per kind and the attendance rate; ("", []) if none.
    No 人/人次 units, so that the report's count parser does not read them as people served."""
    y, m = (int(p) for p in period.split("-"))
    start, end = datetime(y, m, 1, tzinfo=tz), period_bounds("month", date(y, m, 1), tz)[1]
    rows = session.execute(select(Meeting.id, Meeting.kind).where(
        Meeting.branch_id == branch_id, Meeting.status != "cancelled", Meeting.starts_at >= start,
        Meeting.starts_at < end)).all()
    if not rows:
        return "", []
    per_kind: dict[str, int] = {}
    for _, kind in rows:
        per_kind[kind] = per_kind.get(kind, 0) + 1
    stats = dict(session.execute(select(Attendance.status, func.count()).where(
        Attendance.meeting_id.in_([r[0] for r in rows])).group_by(Attendance.status)).all())
    present, due = stats.get("present", 0), sum(stats.values()) - stats.get("leave", 0)
    held_text = "、".join(f"{(conf.kind(k).name if conf.kind(k) else k)}{n}次" for k, n in per_kind.items())
    rate = f"出勤率{round(100 * present / due)}%（实到{present}/应到{due}）" if due else ""
    text = "组织生活：" + held_text + (f"，{rate}" if rate else "")
    return text, [text]
