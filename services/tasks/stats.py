"""Numbers for the office: per-branch open, overdue, resolved this month, average rating."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models.org import Branch, Person
from models.outbox import OutboxMessage
from models.task import Task
from services.shared import periods


def branch_stats(session: Session, consortium_id: int, *, now: datetime, tz: ZoneInfo) -> list[dict]:
    start = periods.month_start(now, tz)
    is_open = Task.status.in_(("routed", "accepted"))
    rows = session.execute(
        select(Branch.code, Branch.name,
               func.count(case((is_open, Task.id))),
               func.count(case((is_open & Task.overdue.is_(True), Task.id))),
               func.count(case(((Task.status == "resolved") & (Task.resolved_at >= start), Task.id))),
               func.avg(Task.rating))
        .select_from(Branch).outerjoin(Task, Task.branch_id == Branch.id)
        .where(Branch.consortium_id == consortium_id)
        .group_by(Branch.id, Branch.code, Branch.name).order_by(Branch.id)).all()
    return [{"code": code, "name": name, "open": o, "overdue": od, "resolved_month": r,
             "avg_rating": float(avg) if avg is not None else None}
            for code, name, o, od, r, avg in rows]


def totals(rows: list[dict]) -> dict:
    return {k: sum(r[k] for r in rows) for k in ("open", "overdue", "resolved_month")}


def triage_count(session: Session, consortium_id: int) -> int:
    return session.scalar(select(func.count(Task.id)).where(Task.consortium_id == consortium_id,
                                                            Task.status == "triage")) or 0


def undelivered_count(session: Session, consortium_id: int | None = None) -> int:
    """Outbox rows that failed for good (to people of this consortium, when given)."""
    query = select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(("failed", "undeliverable")))
    if consortium_id is not None:
        query = query.join(Person, Person.openid == OutboxMessage.to_openid).where(
            Person.consortium_id == consortium_id)
    return session.scalar(query) or 0
