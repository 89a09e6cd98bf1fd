"""Lists of 督办 items (overdue first) and their JSON shape (`items list --json`)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.joint import OPEN_ITEM_STATUSES, JointItem, JointLink, JointNote
from models.org import Branch, Unit
from services.joint.items import is_overdue

STATUS_FILTERS = ("open", "overdue", "done")


def query(session: Session, *, today: date, consortium_id: int | None = None, status: str | None = None,
          owner: str | None = None, meeting_id: int | None = None) -> list[JointItem]:
    """`status`: open (open or reopened), overdue (open and past due), done (done or confirmed);
    `owner`: a branch or unit code or name. Overdue first, then by due date."""
    q = select(JointItem)
    if consortium_id is not None:
        q = q.where(JointItem.consortium_id == consortium_id)
    if meeting_id is not None:
        q = q.where(JointItem.meeting_id == meeting_id)
    if status in ("open", "overdue"):
        q = q.where(JointItem.status.in_(OPEN_ITEM_STATUSES))
    if status == "overdue":
        q = q.where(JointItem.due < today)
    if status == "done":
        q = q.where(JointItem.status.in_(("done", "confirmed")))
    if owner:
        branches = select(Branch.id).where((Branch.code == owner) | (Branch.name == owner))
        units = select(Unit.id).where((Unit.code == owner.upper()) | (Unit.name == owner))
        q = q.where(JointItem.owner_branch_id.in_(branches) | JointItem.owner_unit_id.in_(units))
    rows = list(session.scalars(q.order_by(JointItem.due, JointItem.id)))
    return sorted(rows, key=lambda i: not is_overdue(i, today))


def links(session: Session, item_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in item_ids}
    if item_ids:
        for link in session.scalars(select(JointLink).where(JointLink.item_id.in_(item_ids)).order_by(JointLink.id)):
            out[link.item_id].append(link.task.number)
    return out


def shown_status(item: JointItem, today: date) -> str:
    return "overdue" if is_overdue(item, today) else item.status


def to_dicts(session: Session, items: list[JointItem], *, today: date) -> list[dict]:
    linked = links(session, [i.id for i in items])
    return [{"id": i.number, "title": i.title, "owner": i.owner_name, "due": i.due.isoformat(),
             "status": shown_status(i, today), "meeting": i.meeting.number if i.meeting else None,
             "links": linked[i.id]} for i in items]


def notes(session: Session, item: JointItem) -> list[JointNote]:
    return list(session.scalars(select(JointNote).where(JointNote.item_id == item.id).order_by(JointNote.id)))
