"""Delivery: every attempt to hand an outbox row to WeChat, and the shared access token."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str64


class DeliveryAttempt(Base):
    """One call (or decision) for one outbox row: when, which API, WeChat's answer."""
    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_outbox", "outbox_id", "id"),)
    id: Mapped[intpk]
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    worker: Mapped[str64]
    api: Mapped[str] = mapped_column(String(16))  # custom, template, none, lease
    errcode: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(Text)
    msgid: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # sent, fallback, retry, failed, undeliverable

    def to_dict(self) -> dict:
        return {"at": self.at.isoformat(), "worker": self.worker, "api": self.api, "errcode": self.errcode,
                "message": self.message, "msgid": self.msgid, "outcome": self.outcome}

    def __repr__(self) -> str:
        return f"<DeliveryAttempt {self.outbox_id} {self.api} {self.outcome} {self.errcode}>"


class WeChatToken(Base):
    """The access token shared by all processes (core/token_store.SqlTokenStore reads it with SQL)."""
    __tablename__ = "wechat_tokens"
    appid: Mapped[str64] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[int] = mapped_column(BigInteger, default=0)  # unix seconds
    updated_at: Mapped[int] = mapped_column(BigInteger, default=0)

    def __repr__(self) -> str:
        return f"<WeChatToken {self.appid} until {self.expires_at}>"
