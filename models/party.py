"""Organisational life (组织生活): the party-member roster, meetings, attendance, photos and stored media."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, str32, str64
from models.org import Branch, Person

MEMBER_STATUSES = ("full", "probationary")  # 正式党员, 预备党员
DUTIES = ("secretary", "deputy", "committee", "member")  # 书记, 副书记, 委员, 党员
ATTENDANCE = ("expected", "present", "leave")  # "expected" after the meeting counts as absent
PHOTO_STATUSES = ("pending", "stored", "failed")


class PartyMember(Base):
    """One person on a branch's roster; archived (transferred out) members keep their attendance."""
    __tablename__ = "party_members"
    __table_args__ = (UniqueConstraint("branch_id", "name"),
                      Index("ix_party_members_consortium", "consortium_id", "branch_id"))
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    name: Mapped[str64]
    status: Mapped[str] = mapped_column(String(16), default="full")
    duty: Mapped[str] = mapped_column(String(16), default="member")
    group_name: Mapped[str64] = mapped_column(default="")
    phone: Mapped[str32] = mapped_column(default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    branch: Mapped[Branch] = relationship(lazy="joined")
    person: Mapped[Person | None] = relationship()

    @property
    def on_committee(self) -> bool:
        return self.duty in ("secretary", "deputy", "committee")

    def __repr__(self) -> str:
        return f"<PartyMember {self.id} {self.name} branch {self.branch_id}>"


class Meeting(Base):
    """A meeting (支委会, 党课 ...) of a branch: scheduled in advance, or recorded afterwards (late)."""
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_branch_starts", "branch_id", "starts_at"),
                      Index("ix_meetings_consortium_starts", "consortium_id", "starts_at"),
                      Index("ix_meetings_consortium_kind_starts", "consortium_id", "kind", "starts_at"))
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    kind: Mapped[str32]
    group_name: Mapped[str64] = mapped_column(default="")  # 党小组会: which group
    title: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(128), default="")
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    late_recorded: Mapped[bool] = mapped_column(default=False)
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_at: Mapped[datetime | None]  # the last 纪要: photos right after it belong here
    agenda: Mapped[str] = mapped_column(Text, default="")  # 联席会议: the agenda as the office sent it
    agenda_sent_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    branch: Mapped[Branch | None] = relationship(lazy="joined")

    @property
    def number(self) -> str:
        return f"M-{self.starts_at.year}-{self.id:04d}"

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.kind} {self.starts_at:%Y-%m-%d}>"


class Attendance(Base):
    """Who was expected at a meeting, and whether they signed in or asked for leave."""
    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),
                      Index("ix_meeting_attendance_member", "member_id"))
    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("party_members.id"))
    status: Mapped[str] = mapped_column(String(16), default="expected")
    reason: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None]
    via: Mapped[str] = mapped_column(String(16), default="")  # text | scan | record (补录) | console
    member: Mapped[PartyMember] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Attendance meeting {self.meeting_id} member {self.member_id} {self.status}>"


class MeetingPhoto(Base):
    """A photo sent for a meeting (after 纪要 or while it is open)."""
    __tablename__ = "meeting_photos"
    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    media_id: Mapped[str] = mapped_column(String(128), default="")
    pic_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class MediaBlob(Base):
    """A downloaded file, kept in the database (every web process reads it; backups include it)."""
    __tablename__ = "media_blobs"
    id: Mapped[intpk]
    sha256: Mapped[str64] = mapped_column(unique=True)
    content_type: Mapped[str64]
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<MediaBlob {self.id} {self.sha256[:12]} {self.size}B>"


class PhotoFetch(Base):
    """Downloading one photo (source meeting | activity, the photo row's id) before its media id expires."""
    __tablename__ = "photo_fetches"
    __table_args__ = (UniqueConstraint("source", "photo_id"), Index("ix_photo_fetches_status", "status"))
    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(16))
    photo_id: Mapped[int]
    media_id: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("media_blobs.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<PhotoFetch {self.source}:{self.photo_id} {self.status}>"
