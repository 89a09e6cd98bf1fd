"""Console accounts of the committee office and their login attempts (for the rate limit)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str64

ADMIN_ROLES = ("office", "viewer", "bureau")  # bureau (卫健局): reads every consortium, side by side


class AdminAccount(Base):
    """A web console login; `office` may change things, `viewer` only reads."""
    __tablename__ = "admin_accounts"
    id: Mapped[intpk]
    username: Mapped[str64] = mapped_column(unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortia.id"))  # office/viewer scope
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(default=False)
    # bumped by logout, a password change and disabling: every older session cookie stops working
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def can_write(self) -> bool:
        return self.role == "office" and not self.disabled

    def __repr__(self) -> str:
        return f"<AdminAccount {self.username} {self.role}>"


class LoginAttempt(Base):
    """One console login attempt. `checked`: the password was compared (not refused by the limits);
    a row is written as a checked failure before the check, so concurrent attempts count each other."""
    __tablename__ = "admin_login_attempts"
    __table_args__ = (Index("ix_admin_login_user_at", "username", "created_at"),
                      Index("ix_admin_login_ip_at", "ip", "created_at"))
    id: Mapped[intpk]
    username: Mapped[str64]
    ip: Mapped[str64]
    ok: Mapped[bool]
    checked: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.username} {self.ip} {'ok' if self.ok else 'fail'}>"
