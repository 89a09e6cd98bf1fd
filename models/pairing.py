"""Pairing work (结对共建): agreements with their 四个一 targets, activity records, photos, drafts, needs."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, str32
from models.org import Branch, Pairing, Person, Unit

ACTIVITY_KINDS = ("clinic", "lecture", "training", "exchange", "party_day", "survey", "deed", "other")
FOUR_ITEMS = ("deed", "exchange", "party_day", "survey")  # 四个一: 办实事, 业务交流, 联合党日, 需求调查
COUNT_KEYS = ("people", "bp", "glucose", "ecg", "ultrasound", "leaflets", "attendees")


class PairingAgreement(Base):
    """《党支部结对帮扶责任书》 of one pairing: dates, the duties it lists, yearly 四个一 targets."""
    __tablename__ = "pairing_agreements"
    id: Mapped[intpk]
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), unique=True)
    signed_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    duties: Mapped[list] = mapped_column(default=list)
    targets: Mapped[dict] = mapped_column(default=dict)  # {"deed": 1, "exchange": 1, "party_day": 1, "survey": 1}
    updated_at: Mapped[datetime | None]  # None: as loaded from config.yaml
    pairing: Mapped[Pairing] = relationship(lazy="joined")

    def target(self, item: str) -> int:
        value = (self.targets or {}).get(item)
        return 1 if value is None else int(value)

    def __repr__(self) -> str:
        return f"<PairingAgreement {self.pairing_id} {self.signed_on}..{self.ends_on}>"


class Activity(Base):
    """One recorded activity (义诊, 讲座 ...) of a branch at a unit, with its counts."""
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_branch_held", "branch_id", "held_on"),
                      Index("ix_activities_consortium_held", "consortium_id", "held_on"))
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("pairings.id"))
    kind: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date] = mapped_column(Date)
    counts: Mapped[dict] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    branch: Mapped[Branch] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    recorded_by: Mapped[Person | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.kind} {self.held_on}>"


class ActivityPhoto(Base):
    """A photo sent right after an activity was recorded (WeChat media id and picture URL)."""
    __tablename__ = "activity_photos"
    id: Mapped[intpk]
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    media_id: Mapped[str] = mapped_column(String(128), default="")
    pic_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class ActivityDraft(Base):
    """What a secretary is recording: `collecting` (guided, waiting for the line) or `confirm`."""
    __tablename__ = "activity_drafts"
    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    stage: Mapped[str32]
    data: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<ActivityDraft {self.person_id} {self.stage}>"


class Need(Base):
    """需求清单: a unit's request the office marked as a need for its paired branch."""
    __tablename__ = "pairing_needs"
    __table_args__ = (UniqueConstraint("task_id"),)
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    marked_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    pairing: Mapped[Pairing] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Need {self.id} pairing {self.pairing_id} {self.status}>"
