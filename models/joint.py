"""Joint meetings' follow-up (联席会议 → 督办事项): tracked items with notes and linked requests,
the contact person of a member unit, agenda topics sent by units, and yearly branch plans."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, str32
from models.org import Branch, Person, Unit
from models.party import Meeting
from models.task import Task

ITEM_STATUSES = ("open", "done", "confirmed", "reopened")
STATUS_LABELS = {"open": "办理中", "done": "已完成待确认", "confirmed": "已确认办结", "reopened": "已重开"}
OPEN_ITEM_STATUSES = ("open", "reopened")


class JointItem(Base):
    """督办事项 D-YYYY-NNNN: a decision with one owner (a branch or a member unit) and a due date."""
    __tablename__ = "joint_items"
    __table_args__ = (Index("ix_joint_items_consortium_status", "consortium_id", "status"),)
    id: Mapped[intpk]
    number: Mapped[str32] = mapped_column(unique=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    title: Mapped[str] = mapped_column(Text)
    owner_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    due: Mapped[date] = mapped_column(Date)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_note: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime | None]
    owner_branch: Mapped[Branch | None] = relationship(lazy="joined")
    owner_unit: Mapped[Unit | None] = relationship(lazy="joined")
    meeting: Mapped[Meeting | None] = relationship(lazy="joined")

    @property
    def owner_name(self) -> str:
        return self.owner_branch.name if self.owner_branch else (self.owner_unit.name if self.owner_unit else "")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ITEM_STATUSES

    def __repr__(self) -> str:
        return f"<JointItem {self.number} {self.status}>"


class JointNote(Base):
    """One step in an item's history: progress, done, confirm, reopen, link."""
    __tablename__ = "joint_item_notes"
    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("joint_items.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    author: Mapped[Person | None] = relationship(lazy="joined")


class JointLink(Base):
    """A request (T-…) linked to an item: solving one shows on the other."""
    __tablename__ = "joint_item_links"
    __table_args__ = (UniqueConstraint("item_id", "task_id"),)
    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("joint_items.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    created_at: Mapped[datetime]
    task: Mapped[Task] = relationship(lazy="joined")


class UnitContact(Base):
    """成员单位联络人: the one person who speaks for a member unit (joint-meeting invitations, its items)."""
    __tablename__ = "unit_contacts"
    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    set_at: Mapped[datetime]
    unit: Mapped[Unit] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")


class AgendaTopic(Base):
    """议题: a topic a unit (or branch) adds to the next joint meeting's agenda."""
    __tablename__ = "joint_agenda_topics"
    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class JointAttendance(Base):
    """An invitee of a 联席会议 (the office, a secretary, a unit's contact): expected, present or on leave."""
    __tablename__ = "joint_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="expected")  # expected | present | leave
    reason: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None]
    via: Mapped[str] = mapped_column(String(16), default="")  # text | scan | console
    person: Mapped[Person] = relationship(lazy="joined")


class YearPlan(Base):
    """A branch's plan for a year: counted targets (name -> number) and its 工作要点 as text."""
    __tablename__ = "joint_year_plans"
    __table_args__ = (UniqueConstraint("branch_id", "year"),)
    id: Mapped[intpk]
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    year: Mapped[int]
    targets: Mapped[dict] = mapped_column(default=dict)
    pairing_targets: Mapped[dict] = mapped_column(default=dict)  # 结对活动/义诊 for EACH of the branch's pairings
    points: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list] = mapped_column(default=list)   # 主题党日 themes, one a month in order
    topics: Mapped[list] = mapped_column(default=list)   # 党课 topics
    review: Mapped[str] = mapped_column(Text, default="")  # the edited year-end 述职 draft ("" = not edited)
    review_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    branch: Mapped[Branch] = relationship(lazy="joined")
