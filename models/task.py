"""Task aggregate: a member unit's request (诉求) and its audited history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, str32
from models.org import Branch, Consortium, Person, Unit

STATUS_LABELS = {"triage": "待分派", "routed": "待接单", "accepted": "处理中",
                 "resolved": "已办结", "withdrawn": "已撤回"}
OPEN_STATUSES = ("triage", "routed", "accepted")


class Counter(Base):
    """Named counters for readable numbers (T-2026-0042)."""
    __tablename__ = "counters"
    name: Mapped[str32] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_branch_status", "branch_id", "status"),
                      Index("ix_tasks_requester", "requester_id"))
    id: Mapped[intpk]
    number: Mapped[str32] = mapped_column(unique=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    routing: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    routed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    requester: Mapped[Person] = relationship(foreign_keys=[requester_id], lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    branch: Mapped[Branch | None] = relationship(lazy="joined")
    consortium: Mapped[Consortium] = relationship()
    accepted_by: Mapped[Person | None] = relationship(foreign_keys=[accepted_by_id])
    resolved_by: Mapped[Person | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def office_name(self) -> str:
        """The consortium's party committee office (config: consortia[].office_name)."""
        return self.consortium.office_name

    @property
    def owner_name(self) -> str:
        """Who handles the task now: its branch, or the office while it waits for triage."""
        return self.branch.name if self.branch else self.office_name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<Task {self.number} {self.status}>"


class TaskEvent(Base):
    """Audit: who changed what, when, from, to, with which note."""
    __tablename__ = "task_events"
    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str32]
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_branch: Mapped[str | None] = mapped_column(String(32))
    to_branch: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    actor: Mapped[Person | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<TaskEvent {self.task_id} {self.action}>"


class RoutingCorrection(Base):
    """A request moved to another branch by a person: evidence for the rules."""
    __tablename__ = "routing_corrections"
    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    text: Mapped[str] = mapped_column(Text)
    from_branch: Mapped[str32]
    to_branch: Mapped[str32]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Attachment(Base):
    """An image or location sent to an open request."""
    __tablename__ = "attachments"
    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"))
    kind: Mapped[str32]
    created_at: Mapped[datetime]


class Claim(Base):
    """An idempotency claim: (kind, key) happens once (escalation level, reminder)."""
    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[intpk]
    kind: Mapped[str32]
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
