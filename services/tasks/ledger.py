"""The office's ledger (台账): filtered request rows with keyset pagination, dashboard numbers,
and the console's outbox actions.

Rows are read with SQLAlchemy Core columns (no ORM objects), newest first, paged
by task id (`before` / `after` cursors), so page 50 costs what page 1 costs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.org import Branch, Consortium, Person, Unit
from models.outbox import OutboxMessage, due_state
from models.task import STATUS_LABELS, Task
from services.shared import periods

PAGE_SIZE = 50
STATUSES = tuple(STATUS_LABELS)


@dataclass(frozen=True)
class LedgerFilter:
    """What the office asks the ledger for; empty strings mean "any"."""
    month: str = ""      # "2026-12"
    branch: str = ""     # branch code, or "triage"
    unit: str = ""       # unit code
    status: str = ""     # one of STATUSES, or "overdue"
    text: str = ""       # part of the text or the number
    consortium_id: int | None = None  # the console account's consortium (None: every one)

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v and k != "consortium_id"}


@dataclass(frozen=True)
class LedgerRow:
    id: int
    number: str
    created_at: datetime
    unit: str
    requester: str
    text: str
    branch: str
    branch_code: str
    keywords: str
    status: str
    accepted_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str
    rating: int | None
    overdue: bool
    consortium: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    next_before: int | None = None
    prev_after: int | None = None
    extra: dict = field(default_factory=dict)


def _keywords(routing: dict | None) -> str:
    return "、".join(str(k.get("word", "")) for k in (routing or {}).get("keywords", [])[:6])


def _base(flt: LedgerFilter, tz: ZoneInfo) -> Select:
    requester = aliased(Person)
    query = (select(Task.id, Task.number, Task.created_at, Unit.name, requester.name, requester.openid, Task.text,
                    Branch.name, Branch.code, Task.routing, Task.status, Task.accepted_at, Task.resolved_at,
                    Task.resolution_note, Task.rating, Task.overdue, Consortium.name)
             .select_from(Task).join(requester, Task.requester_id == requester.id)
             .outerjoin(Consortium, Task.consortium_id == Consortium.id)
             .outerjoin(Unit, Task.unit_id == Unit.id).outerjoin(Branch, Task.branch_id == Branch.id))
    return _where(query, flt, tz)


def _where(query: Select, flt: LedgerFilter, tz: ZoneInfo) -> Select:
    if flt.consortium_id is not None:
        query = query.where(Task.consortium_id == flt.consortium_id)
    if flt.month:
        start, end = periods.month_bounds(flt.month, tz)
        query = query.where(Task.created_at >= start, Task.created_at < end)
    if flt.branch == "triage":
        query = query.where(Task.branch_id.is_(None))
    elif flt.branch:
        branch_ids = select(Branch.id).where(Branch.code == flt.branch)  # codes repeat across consortia
        if flt.consortium_id is not None:
            branch_ids = branch_ids.where(Branch.consortium_id == flt.consortium_id)
        query = query.where(Task.branch_id.in_(branch_ids))
    if flt.unit:
        query = query.where(Task.unit_id == select(Unit.id).where(Unit.code == flt.unit).scalar_subquery())
    if flt.status == "overdue":
        query = query.where(Task.overdue.is_(True), Task.status.in_(("routed", "accepted")))
    elif flt.status:
        query = query.where(Task.status == flt.status)
    if flt.text:
        like = "%" + escape_like(flt.text.strip()) + "%"
        query = query.where(or_(Task.text.like(like, escape="\\"), Task.number.like(like.upper(), escape="\\")))
    return query


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _row(r) -> LedgerRow:
    return LedgerRow(id=r[0], number=r[1], created_at=r[2], unit=r[3] or "", requester=r[4] or f"用户{r[5][-4:]}",
                     text=r[6], branch=r[7] or "待分派", branch_code=r[8] or "triage", keywords=_keywords(r[9]),
                     status=r[10], accepted_at=r[11], resolved_at=r[12], resolution_note=r[13] or "",
                     rating=r[14], overdue=bool(r[15]), consortium=r[16] or "")


def count(session: Session, flt: LedgerFilter, tz: ZoneInfo) -> int:
    query = _where(select(func.count(Task.id)).select_from(Task), flt, tz)
    return session.scalar(query) or 0


def page(session: Session, flt: LedgerFilter, tz: ZoneInfo, *, before: int | None = None,
         after: int | None = None, size: int = PAGE_SIZE) -> LedgerPage:
    """One page, newest first. `before`: rows older than that id; `after`: the page newer than that id."""
    query = _base(flt, tz)
    if after is not None:
        rows = [_row(r) for r in session.execute(query.where(Task.id > after)
                                                 .order_by(Task.id.asc()).limit(size + 1)).all()]
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        more_older = True
    else:
        if before is not None:
            query = query.where(Task.id < before)
        rows = [_row(r) for r in session.execute(query.order_by(Task.id.desc()).limit(size + 1)).all()]
        more_older = len(rows) > size
        rows = rows[:size]
        more_newer = before is not None
    return LedgerPage(rows=rows, total=count(session, flt, tz),
                      next_before=rows[-1].id if rows and more_older else None,
                      prev_after=rows[0].id if rows and more_newer else None)


def iter_rows(session: Session, flt: LedgerFilter, tz: ZoneInfo, *, chunk: int = 1000) -> Iterator[LedgerRow]:
    """Every matching row, oldest first, in keyset chunks (for exports)."""
    last = 0
    while True:
        batch = session.execute(_base(flt, tz).where(Task.id > last).order_by(Task.id).limit(chunk)).all()
        for r in batch:
            yield _row(r)
        if len(batch) < chunk:
            return
        last = batch[-1][0]


def months_with_tasks(session: Session, tz: ZoneInfo, *, today: date, consortium_id: int | None = None,
                      limit: int = 36) -> list[str]:
    """Filter choices, newest first: this month and each earlier month (up to `limit` back) with requests
    of the consortium (None: of any consortium)."""
    current = f"{today.year:04d}-{today.month:02d}"
    scope = Task.consortium_id == consortium_id if consortium_id is not None else Task.id.is_not(None)
    first = session.scalar(select(func.min(Task.created_at)).where(scope))
    if first is None:
        return [current]
    months = periods.months_back(today, min(first.astimezone(tz).date(), today), limit)
    bounds = [periods.month_bounds(m, tz) for m in months]
    counts = session.execute(select(*[func.count(case((and_(Task.created_at >= start, Task.created_at < end),
                                                           Task.id))) for start, end in bounds])
                             .where(scope, Task.created_at >= bounds[-1][0])).one()
    return [m for m, n in zip(months, counts) if n or m == current]


# --- outbox ----------------------------------------------------------------

def undelivered(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage)
                                .where(OutboxMessage.status.in_(("failed", "undeliverable")))
                                .order_by(OutboxMessage.id.desc()).limit(limit)).all())


def recent_outbox(session: Session, *, limit: int = 50) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).all())


def retry_message(session: Session, message_id: int, *, now: datetime, sandbox: bool) -> OutboxMessage | None:
    """Put a failed or undeliverable message back in the queue (due now); None if not retryable."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status not in ("failed", "undeliverable"):
        return None
    for name, value in due_state(sandbox=sandbox, now=now).items():
        setattr(row, name, value)
    row.attempts = 0
    session.flush()
    return row


def people_by_openid(session: Session, openids: list[str]) -> dict[str, Person]:
    if not openids:
        return {}
    return {p.openid: p for p in session.scalars(select(Person).where(Person.openid.in_(openids))).all()}



# --- dashboard ---------------------------------------------------------------

def dashboard(session: Session, consortium_id: int, month: str, tz: ZoneInfo, *, now: datetime) -> dict:
    """The month's numbers: per branch, per unit, ratings, triage share, requests per day."""
    start, end = periods.month_bounds(month, tz)
    in_month = and_(Task.consortium_id == consortium_id, Task.created_at >= start, Task.created_at < end)
    is_open = Task.status.in_(("routed", "accepted"))
    branches = session.execute(
        select(Branch.code, Branch.name,
               func.count(case((and_(in_month, is_open), Task.id))),
               func.count(case((and_(in_month, is_open, Task.overdue.is_(True)), Task.id))),
               func.count(case((and_(in_month, Task.status == "resolved"), Task.id))))
        .select_from(Branch).outerjoin(Task, Task.branch_id == Branch.id)
        .where(Branch.consortium_id == consortium_id)
        .group_by(Branch.id, Branch.code, Branch.name).order_by(Branch.id)).all()
    units = session.execute(
        select(Unit.code, Unit.name, func.count(Task.id))
        .select_from(Unit).outerjoin(Task, and_(Task.unit_id == Unit.id, in_month))
        .where(Unit.consortium_id == consortium_id)
        .group_by(Unit.id, Unit.code, Unit.name).order_by(Unit.id)).all()
    month_rows = session.execute(select(Task.created_at, Task.routing, Task.rating, Task.status)
                                 .where(in_month)).all()
    return {"month": month, "branches": [dict(code=c, name=n, open=o, overdue=od, resolved=r)
                                         for c, n, o, od, r in branches],
            "units": [dict(code=c, name=n, requests=k) for c, n, k in units],
            **_month_figures(month_rows, start, end, tz)}


def _month_figures(rows, start: datetime, end: datetime, tz: ZoneInfo) -> dict:
    ratings = [r.rating for r in rows if r.rating is not None]
    triaged = sum(1 for r in rows if (r.routing or {}).get("branch") in (None, "triage"))
    days = (end - start).days
    per_day = [0] * days
    for r in rows:
        per_day[r.created_at.astimezone(tz).day - 1] += 1
    return {"total": len(rows), "rated": len(ratings),
            "avg_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "ratings": [ratings.count(score) for score in range(1, 6)],
            "triage": triaged, "triage_share": round(triaged / len(rows), 3) if rows else None,
            "open_now": sum(1 for r in rows if r.status in ("triage", "routed", "accepted")),
            "per_day": per_day}
