"""Outbox: every outbound WeChat message, written in the transaction that caused it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str32, str64

STATUSES = ("sandbox", "queued", "sending", "sent", "failed", "undeliverable")


def due_state(*, sandbox: bool, now: datetime) -> dict:
    """Status and due time of a row that is (again) to be delivered: kept in sandbox mode, due now otherwise."""
    return {"status": "sandbox", "next_attempt_at": None} if sandbox else {"status": "queued", "next_attempt_at": now}


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),
                      Index("ix_outbox_to", "to_openid"))
    id: Mapped[intpk]
    to_openid: Mapped[str64]
    kind: Mapped[str32]
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    wechat_msgid: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]  # a 'sending' row whose lease expired is retried
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))  # custom or template, once sent

    def to_dict(self) -> dict:
        return {"id": self.id, "to": self.to_openid, "kind": self.kind, "text": self.text,
                "status": self.status, "created_at": self.created_at.isoformat(),
                "attempts": self.attempts, "last_error": self.last_error, "channel": self.channel,
                "wechat_msgid": self.wechat_msgid, "sent_at": self.sent_at.isoformat() if self.sent_at else None}

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} -> {self.to_openid} {self.status}>"
