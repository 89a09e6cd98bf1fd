"""Organisation aggregate: consortia, branches, member units, pairings, people, invites."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, str32, str64, str128

ROLES = ("member", "secretary", "office", "admin")
DEFAULT_OFFICE = "党委办公室"  # the office's name where no consortium is known yet (a stranger)


class Consortium(Base):
    __tablename__ = "consortia"
    id: Mapped[intpk]
    code: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str128]
    lead_hospital: Mapped[str128]
    office_name: Mapped[str64]

    def __repr__(self) -> str:
        return f"<Consortium {self.code} {self.name}>"


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("consortium_id", "code"),)
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    code: Mapped[str32]
    name: Mapped[str64]
    aliases: Mapped[list] = mapped_column(default=list)
    consortium: Mapped[Consortium] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Branch {self.code} {self.name}>"


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    code: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str64]
    kind: Mapped[str32]
    consortium: Mapped[Consortium] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class Pairing(Base):
    """结对: a branch owes pairing work to a member unit."""
    __tablename__ = "pairings"
    __table_args__ = (UniqueConstraint("branch_id", "unit_id"),)
    id: Mapped[intpk]
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    branch: Mapped[Branch] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Pairing {self.branch_id}-{self.unit_id}>"


class Person(Base):
    """A WeChat user known to the account; bound people carry a role."""
    __tablename__ = "people"
    id: Mapped[intpk]
    openid: Mapped[str64] = mapped_column(unique=True)
    name: Mapped[str64] = mapped_column(default="")
    role: Mapped[str | None] = mapped_column(String(16))
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortia.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_deputy: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    bound_at: Mapped[datetime | None]
    branch: Mapped[Branch | None] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    consortium: Mapped[Consortium | None] = relationship()

    @property
    def bound(self) -> bool:
        return self.role is not None

    @property
    def display(self) -> str:
        return self.name or f"用户{self.openid[-4:]}"

    @property
    def office_name(self) -> str:
        """The name of this person's party committee office (config: consortia[].office_name)."""
        return self.consortium.office_name if self.consortium else DEFAULT_OFFICE

    def __repr__(self) -> str:
        return f"<Person {self.openid} {self.role}>"


class Invite(Base):
    """An invite code: single-use for staff roles, multi-use for a unit's poster."""
    __tablename__ = "invites"
    id: Mapped[intpk]
    code: Mapped[str32] = mapped_column(unique=True)
    role: Mapped[str] = mapped_column(String(16))
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_deputy: Mapped[bool] = mapped_column(default=False)
    multi_use: Mapped[bool] = mapped_column(default=False)
    uses: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False)
    branch: Mapped[Branch | None] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Invite {self.code} {self.role}>"


class BindFailure(Base):
    """A wrong `绑定` code (unknown, expired, used or revoked): too many within an hour stop the guessing."""
    __tablename__ = "bind_failures"
    __table_args__ = (Index("ix_bind_failures_openid_at", "openid", "created_at"),)
    id: Mapped[intpk]
    openid: Mapped[str64]
    code: Mapped[str64]
    reason: Mapped[str32]
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<BindFailure {self.openid} {self.reason}>"
