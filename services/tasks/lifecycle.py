"""Requests as tasks: submit, accept, transfer, return, resolve, assign, withdraw, rate.

Every change is one conditional UPDATE on (id, status, version), so when two
people act on the same task at once exactly one wins; every change is audited
and its notifications are queued in the same transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.org import Branch, Person
from models.task import OPEN_STATUSES, Attachment, RoutingCorrection, Task, TaskEvent
from services.messages import notices
from services.org import structure as org
from services.messages import outbox as outbox_svc
from services.shared import counters

MAX_TEXT = 2000


class TaskError(Exception):
    """A refused action; `code` picks the reply, `info` fills it."""

    def __init__(self, code: str, **info: Any):
        self.code = code
        self.info = info
        super().__init__(code)


def next_number(session: Session, year: int) -> str:
    return f"T-{year}-{counters.take_next(session, f'task-{year}'):04d}"


def why(routing: dict) -> str:
    words = [k["word"] for k in routing.get("keywords", [])[:5]]
    return "、".join(words) or "无明确关键词"


def queue_notice(session: Session, people: list[Person], kind: str, text: str, *, now: datetime,
           sandbox: bool, task: Task) -> None:
    for person in people:
        outbox_svc.enqueue(session, person.openid, kind, text, now=now, sandbox=sandbox,
                           payload={"task": task.number})


def add_event(session: Session, task: Task, actor: Person | None, action: str, *, now: datetime,
           from_status: str | None = None, from_branch: str | None = None, note: str | None = None) -> None:
    session.add(TaskEvent(task_id=task.id, actor_id=actor.id if actor else None, action=action,
                          from_status=from_status, to_status=task.status, from_branch=from_branch,
                          to_branch=task.branch.code if task.branch else None, note=note, created_at=now))


def owners(session: Session, task: Task) -> list[Person]:
    """Who handles the task now: its branch's staff, or the office's while it waits for triage."""
    if task.branch_id is None:
        return org.office_staff(session, task.consortium_id)
    return org.branch_staff(session, task.branch_id)


def new_task_notice(task: Task) -> str:
    """What the owners are told about a task that just reached them (its whole text)."""
    fields = dict(number=task.number, unit=task.unit.name if task.unit else "（未知单位）",
                  requester=task.requester.display, text=task.text, why=why(task.routing),
                  office=task.office_name)
    return (notices.TASK_TRIAGE if task.branch is None else notices.TASK_NEW).format(**fields)


def notify_routed(session: Session, task: Task, *, now: datetime, sandbox: bool, prefix: str = "") -> None:
    """Tell the branch staff (or the office, for triage) about a task that just reached them."""
    queue_notice(session, owners(session, task), "task_new", prefix + new_task_notice(task),
                 now=now, sandbox=sandbox, task=task)


def submit_request(session: Session, person: Person, text: str, decision: dict, *, now: datetime,
                   sandbox: bool, number: str | None = None) -> Task:
    """A member's free text becomes a numbered task, routed by `decision` (routing.Decision.to_dict())."""
    branch = None
    if decision.get("branch") not in (None, "triage"):
        branch = org.branch_by_code(session, person.consortium_id, decision["branch"])
    task = Task(number=number or next_number(session, now.year), consortium_id=person.consortium_id,
                requester_id=person.id, unit_id=person.unit_id, branch_id=branch.id if branch else None,
                status="routed" if branch else "triage", text=text[:MAX_TEXT], routing=decision,
                created_at=now, routed_at=now if branch else None)
    session.add(task)
    session.flush()
    session.refresh(task)
    add_event(session, task, person, "created", now=now, note=why(decision))
    notify_routed(session, task, now=now, sandbox=sandbox)
    return task


def get_task(session: Session, number: str | None, consortium_id: int | None = None) -> Task:
    if not number:
        raise TaskError("number_missing")
    task = session.scalar(select(Task).where(Task.number == number.upper()))
    if task is None or (consortium_id is not None and task.consortium_id != consortium_id):
        raise TaskError("not_found", number=number)
    return task


def visible_task(session: Session, person: Person, number: str | None) -> Task:
    """A task for `详情`: the office sees its consortium's; a secretary only their branch's tasks and
    those their branch passed on (transferred or returned); anything else is "not found"."""
    task = get_task(session, number, person.consortium_id)
    if person.role != "secretary" or (task.branch_id is not None and task.branch_id == person.branch_id):
        return task
    passed_on = session.scalar(select(TaskEvent.id).where(
        TaskEvent.task_id == task.id, TaskEvent.action.in_(("transferred", "returned")),
        TaskEvent.from_branch == person.branch.code).limit(1))
    if passed_on is None:
        raise TaskError("not_found", number=number)
    return task


def transition(session: Session, task: Task, allowed: tuple[str, ...], **values: Any) -> None:
    """Apply `values` only if the task is still as we read it; otherwise explain who got there first."""
    if task.status not in allowed:
        raise TaskError("bad_state", number=task.number, status=task.status_label)
    result = session.execute(update(Task).where(Task.id == task.id, Task.version == task.version,
                                                Task.status.in_(allowed))
                             .values(version=Task.version + 1, **values)
                             .execution_options(synchronize_session=False))
    session.refresh(task)
    if result.rowcount != 1:
        who = task.resolved_by or task.accepted_by
        raise TaskError("conflict", number=task.number, status=task.status_label,
                        who=who.display if who else "其他人")


def _require_branch_staff(person: Person, task: Task) -> None:
    if person.role != "secretary" or task.branch_id is None or person.branch_id != task.branch_id:
        raise TaskError("not_yours", number=task.number,
                        branch=task.owner_name)


def accept(session: Session, person: Person, number: str, *, now: datetime, sandbox: bool) -> Task:
    task = get_task(session, number, person.consortium_id)
    _require_branch_staff(person, task)
    transition(session, task, ("routed",), status="accepted", accepted_at=now, accepted_by_id=person.id)
    add_event(session, task, person, "accepted", now=now, from_status="routed")
    outbox_svc.enqueue(session, task.requester.openid, "task_update",
                       notices.REQUESTER_ACCEPTED.format(number=task.number, branch=task.branch.name,
                                                         who=person.display),
                       now=now, sandbox=sandbox, payload={"task": task.number})
    return task


def _move(session: Session, task: Task, actor: Person | None, branch: Branch | None, *, action: str,
          note: str | None, now: datetime, sandbox: bool) -> None:
    """Send the task to `branch` (None = back to the office) and tell whoever now owns it."""
    old_status, old_branch = task.status, task.branch
    transition(session, task, ("triage", "routed", "accepted"),
                status="routed" if branch else "triage", branch_id=branch.id if branch else None,
                routed_at=now if branch else None, accepted_at=None, accepted_by_id=None)
    add_event(session, task, actor, action, now=now, from_status=old_status,
           from_branch=old_branch.code if old_branch else None, note=note)
    if branch is not None and old_branch is not None and old_branch.id != branch.id:
        session.add(RoutingCorrection(task_id=task.id, text=task.text, from_branch=old_branch.code,
                                      to_branch=branch.code, actor_id=actor.id if actor else None, created_at=now))
    elif branch is not None and old_branch is None:
        session.add(RoutingCorrection(task_id=task.id, text=task.text, from_branch="triage",
                                      to_branch=branch.code, actor_id=actor.id if actor else None, created_at=now))
    if branch is None:
        queue_notice(session, org.office_staff(session, task.consortium_id), "task_new",
               notices.TASK_RETURNED.format(number=task.number, branch=old_branch.name if old_branch else "",
                                            reason=note or "", office=task.office_name), now=now, sandbox=sandbox, task=task)
        return
    prefix = notices.TASK_TRANSFERRED_IN.format(from_branch=old_branch.name, reason=note) \
        if action == "transferred" and old_branch else ""
    notify_routed(session, task, now=now, sandbox=sandbox, prefix=prefix)
    outbox_svc.enqueue(session, task.requester.openid, "task_update",
                       notices.REQUESTER_ROUTED.format(number=task.number, branch=branch.name),
                       now=now, sandbox=sandbox, payload={"task": task.number})


def _target_branch(session: Session, consortium_id: int, name: str) -> Branch:
    if not name:
        raise TaskError("branch_missing")
    branch = org.find_branch(session, consortium_id, name)
    if branch is None:
        raise TaskError("unknown_branch", name=name)
    return branch


def transfer(session: Session, person: Person, number: str, branch_name: str, reason: str, *,
             now: datetime, sandbox: bool) -> Task:
    task = get_task(session, number, person.consortium_id)
    _require_branch_staff(person, task)
    branch = _target_branch(session, person.consortium_id, branch_name)
    if not reason:
        raise TaskError("reason_missing", number=task.number)
    if branch.id == task.branch_id:
        raise TaskError("same_branch", branch=branch.name)
    _move(session, task, person, branch, action="transferred", note=reason, now=now, sandbox=sandbox)
    return task


def return_to_office(session: Session, person: Person, number: str, reason: str, *,
                     now: datetime, sandbox: bool) -> Task:
    task = get_task(session, number, person.consortium_id)
    _require_branch_staff(person, task)
    if not reason:
        raise TaskError("reason_missing", number=task.number)
    _move(session, task, person, None, action="returned", note=reason, now=now, sandbox=sandbox)
    return task


def assign(session: Session, person: Person | None, number: str, branch_name: str, *, now: datetime,
           sandbox: bool, note: str | None = None, consortium_id: int | None = None) -> Task:
    """The office puts a task (usually from triage) on a branch; a move between branches is a correction.

    `person` None is the web console: pass `consortium_id`; the note names the console user."""
    cons_id = person.consortium_id if person is not None else consortium_id
    task = get_task(session, number, cons_id)
    branch = _target_branch(session, cons_id, branch_name)
    if branch.id == task.branch_id:
        raise TaskError("same_branch", branch=branch.name)
    _move(session, task, person, branch, action="assigned", note=note, now=now, sandbox=sandbox)
    return task


def resolve(session: Session, person: Person, number: str, note: str, *, now: datetime, sandbox: bool) -> Task:
    task = get_task(session, number, person.consortium_id)
    _require_branch_staff(person, task)
    if not note:
        raise TaskError("note_missing", number=task.number)
    old = task.status
    transition(session, task, ("routed", "accepted"), status="resolved", resolved_at=now,
                resolved_by_id=person.id, resolution_note=note[:MAX_TEXT],
                accepted_at=task.accepted_at or now, accepted_by_id=task.accepted_by_id or person.id)
    add_event(session, task, person, "resolved", now=now, from_status=old, note=note)
    outbox_svc.enqueue(session, task.requester.openid, "task_resolved",
                       notices.REQUESTER_RESOLVED.format(number=task.number, branch=task.branch.name, note=note),
                       now=now, sandbox=sandbox, payload={"task": task.number})
    return task


def _own_task(session: Session, person: Person, number: str) -> Task:
    task = get_task(session, number, person.consortium_id)
    if task.requester_id != person.id:
        raise TaskError("not_found", number=number)
    return task


def supplement(session: Session, person: Person, number: str, text: str, *, now: datetime,
               sandbox: bool) -> Task:
    task = _own_task(session, person, number)
    if not text:
        raise TaskError("text_missing", number=task.number)
    if not task.is_open:
        raise TaskError("bad_state", number=task.number, status=task.status_label)
    add_event(session, task, person, "supplemented", now=now, from_status=task.status, note=text[:MAX_TEXT])
    notify_supplement(session, task, owners(session, task), text, now=now, sandbox=sandbox)
    return task


def notify_supplement(session: Session, task: Task, staff: list[Person], text: str, *, now: datetime,
                      sandbox: bool) -> None:
    queue_notice(session, staff, "task_update", notices.TASK_SUPPLEMENT.format(
        number=task.number, requester=task.requester.display, text=text), now=now, sandbox=sandbox, task=task)


def withdraw(session: Session, person: Person, number: str, *, now: datetime, sandbox: bool) -> Task:
    task = _own_task(session, person, number)
    old = task.status
    transition(session, task, OPEN_STATUSES, status="withdrawn")
    add_event(session, task, person, "withdrawn", now=now, from_status=old)
    staff = owners(session, task)
    queue_notice(session, staff, "task_update", notices.TASK_WITHDRAWN.format(number=task.number),
           now=now, sandbox=sandbox, task=task)
    return task


def rate(session: Session, person: Person, number: str, score: int, comment: str, *, now: datetime,
         sandbox: bool) -> Task:
    task = _own_task(session, person, number)
    if not 1 <= score <= 5:
        raise TaskError("bad_score")
    transition(session, task, ("resolved",), rating=score, rating_comment=comment or None, rated_at=now)
    add_event(session, task, person, "rated", now=now, from_status="resolved", note=f"{score} {comment}".strip())
    if score <= 2:
        queue_notice(session, org.office_staff(session, task.consortium_id), "alert",
               notices.LOW_RATING.format(number=task.number, branch=task.branch.name if task.branch else "",
                                         score=score, comment=comment or "（无）"),
               now=now, sandbox=sandbox, task=task)
    return task


def latest_unrated(session: Session, person: Person) -> Task | None:
    return session.scalars(select(Task).where(Task.requester_id == person.id, Task.status == "resolved",
                                              Task.rating.is_(None))
                           .order_by(Task.resolved_at.desc()).limit(1)).first()


def latest_open(session: Session, person: Person) -> Task | None:
    return session.scalars(select(Task).where(Task.requester_id == person.id, Task.status.in_(OPEN_STATUSES))
                           .order_by(Task.id.desc()).limit(1)).first()


def requests_of(session: Session, person: Person, limit: int = 10) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.requester_id == person.id)
                                .order_by(Task.id.desc()).limit(limit)).all())


def open_tasks_of_branch(session: Session, branch_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.branch_id == branch_id,
                                                   Task.status.in_(("routed", "accepted")))
                                .order_by(Task.id)).all())


def triage_tasks(session: Session, consortium_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.consortium_id == consortium_id, Task.status == "triage")
                                .order_by(Task.id)).all())


def history(session: Session, task: Task) -> list[TaskEvent]:
    return list(session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id)
                                .order_by(TaskEvent.id)).all())


def attach(session: Session, task: Task, inbound_id: int, kind: str, *, now: datetime) -> None:
    session.add(Attachment(task_id=task.id, inbound_id=inbound_id, kind=kind, created_at=now))
    session.flush()


def task_to_dict(task: Task, events: list[TaskEvent] | None = None) -> dict:
    iso = lambda dt: dt.isoformat() if dt else None  # noqa: E731
    data = {"number": task.number, "status": task.status, "branch": task.branch.code if task.branch else None,
            "unit": task.unit.code if task.unit else None, "requester": task.requester.openid,
            "text": task.text, "routing": task.routing, "created_at": iso(task.created_at),
            "accepted_at": iso(task.accepted_at), "resolved_at": iso(task.resolved_at),
            "resolution_note": task.resolution_note, "rating": task.rating,
            "rating_comment": task.rating_comment, "overdue": task.overdue}
    if events is not None:
        data["history"] = [{"at": iso(e.created_at), "actor": e.actor.openid if e.actor else None,
                            "action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                            "from_branch": e.from_branch, "to_branch": e.to_branch, "note": e.note}
                           for e in events]
    return data


def list_tasks(session: Session, *, status: str | None = None, branch: str | None = None,
               limit: int = 1000) -> list[Task]:
    query = select(Task).order_by(Task.id).limit(limit)
    if status:
        query = query.where(Task.status == status)
    if branch == "triage":
        query = query.where(Task.branch_id.is_(None))
    elif branch:
        query = query.join(Branch, Task.branch_id == Branch.id).where(Branch.code == branch)
    return list(session.scalars(query).all())
