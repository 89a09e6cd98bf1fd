"""Several messages, one request.

People type in bursts (`我们卫生院的B超坏了` / `能不能派人来修一下`). A member's new
request that comes within `tasks.burst_minutes` of their last request, while
that one is not yet accepted, is appended to it and the whole text is classified
again (re-routed if the branch changes). Its owners see ONE task: a notice not yet
picked up by the delivery worker is rewritten (or withdrawn, when the task moved),
one already delivered gets a supplement (or a "moved" note). After acceptance, a
message within `tasks.same_matter_hours` is held and the member is asked: 1 adds it
to the task, 2 makes it a new request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.message import InboundMessage
from models.org import Person
from models.task import Task
from routing import classify
from services.messages import notices
from services.messages import outbox
from services.org import structure as org
from services.tasks import lifecycle as tasks

NEW, APPEND, ASK = "new", "append", "ask"
HELD = "held"  # an inbound message waiting for the member's 1 / 2


@dataclass(frozen=True)
class Window:
    burst: timedelta
    same_matter: timedelta

    @classmethod
    def of(cls, policy) -> "Window":
        return cls(timedelta(minutes=policy.burst_minutes), timedelta(hours=policy.same_matter_hours))


def last_activity(session: Session, task: Task) -> datetime:
    """When the requester last wrote to this task (its first message or a later one joined to it)."""
    latest = session.scalar(select(InboundMessage.received_at).where(InboundMessage.task_id == task.id)
                            .order_by(InboundMessage.received_at.desc()).limit(1))
    return max(t for t in (latest, task.created_at) if t is not None)


def decide(session: Session, person: Person, window: Window, *, now: datetime) -> tuple[str, Task | None]:
    """NEW, APPEND (to the returned task) or ASK (about the returned task) for a request text now."""
    task = session.scalars(select(Task).where(Task.requester_id == person.id)
                           .order_by(Task.id.desc()).limit(1)).first()
    if task is None or not task.is_open:
        return NEW, None
    since = now - last_activity(session, task)
    if since < timedelta(0):
        return NEW, None  # a replayed message older than the latest request: it was no part of it
    if task.status in ("triage", "routed") and since <= window.burst:
        return APPEND, task
    if task.status == "accepted" and min(since, now - task.accepted_at) <= window.same_matter:
        return ASK, task
    return NEW, None


def append(session: Session, task: Task, text: str, rules, *, now: datetime, sandbox: bool) -> Task:
    """Join `text` to the not yet accepted `task`, classify the whole again, tell its owners once.

    Raises TaskError("bad_state"/"conflict") if the task was accepted meanwhile (then ask instead).
    """
    old_branch = task.branch
    whole = (task.text + "\n" + text.strip())[:tasks.MAX_TEXT]
    decision = classify(whole, rules).to_dict()
    branch = None
    if decision.get("branch") not in (None, "triage"):
        branch = org.branch_by_code(session, task.consortium_id, decision["branch"])
    moved = (branch.id if branch else None) != task.branch_id
    values = dict(text=whole, routing=decision)
    if moved:
        values.update(status="routed" if branch else "triage", branch_id=branch.id if branch else None,
                      routed_at=now if branch else None)
    before = task.status
    tasks.transition(session, task, ("triage", "routed"), **values)
    tasks.add_event(session, task, task.requester, "supplemented", now=now, from_status=before, note=text[:tasks.MAX_TEXT])
    if moved:
        _tell_moved(session, task, old_branch, now=now, sandbox=sandbox)
    else:
        _tell_joined(session, task, text, now=now, sandbox=sandbox)
    return task


def _tell_joined(session: Session, task: Task, text: str, *, now: datetime, sandbox: bool) -> None:
    """Rewrite the new-task notice still waiting in the outbox; who already got it gets a supplement."""
    rewritten = {row.to_openid for row in outbox.unsent_for_task(session, task.number, "task_new")
                 if outbox.revise_unsent(session, row, tasks.new_task_notice(task))}
    late = [p for p in tasks.owners(session, task) if p.openid not in rewritten]
    tasks.notify_supplement(session, task, late, text, now=now, sandbox=sandbox)


def _tell_moved(session: Session, task: Task, old_branch, *, now: datetime, sandbox: bool) -> None:
    """Withdraw the old owners' notice if still unsent (else tell them it moved); tell the new owners."""
    withdrawn = {row.to_openid for row in outbox.unsent_for_task(session, task.number, "task_new")
                 if outbox.revise_unsent(session, row, None)}
    tasks.add_event(session, task, None, "rerouted", now=now, from_branch=old_branch.code if old_branch else None)
    new_owners = {p.openid for p in tasks.owners(session, task)}
    told = [p for p in _former_owners(session, task, old_branch) if p.openid not in withdrawn | new_owners]
    tasks.queue_notice(session, told, "task_update",
                       notices.TASK_REROUTED_AWAY.format(number=task.number, owner=task.owner_name),
                       now=now, sandbox=sandbox, task=task)
    tasks.notify_routed(session, task, now=now, sandbox=sandbox)


def _former_owners(session: Session, task: Task, old_branch) -> list[Person]:
    if old_branch is None:
        return org.office_staff(session, task.consortium_id)
    return org.branch_staff(session, old_branch.id)


def hold(session: Session, inbound_id: int | None, task: Task) -> None:
    """Keep this message until the member answers whether it belongs to `task`."""
    row = session.get(InboundMessage, inbound_id) if inbound_id else None
    if row is not None:
        row.status, row.plan = HELD, {**(row.plan or {}), "ask": task.number}
        session.flush()


def held(session: Session, openid: str, *, before_id: int | None) -> tuple[str | None, list[InboundMessage]]:
    """The task number asked about and the messages held for it: the sender's latest run of held texts."""
    query = select(InboundMessage).where(InboundMessage.openid == openid, InboundMessage.msg_type == "text")
    if before_id:
        query = query.where(InboundMessage.id < before_id)
    rows = []
    for row in session.scalars(query.order_by(InboundMessage.id.desc()).limit(20)):
        if row.status != HELD:
            break
        rows.append(row)
    rows.reverse()
    return ((rows[-1].plan or {}).get("ask") if rows else None), rows
