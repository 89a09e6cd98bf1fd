"""Inbound messages: every accepted webhook message, stored before the reply."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str32, str64


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_openid_received", "openid", "received_at"),)
    id: Mapped[intpk]
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    openid: Mapped[str64]
    msg_type: Mapped[str32]
    msg_id: Mapped[int | None] = mapped_column(BigInteger)
    event: Mapped[str | None] = mapped_column(String(64))
    event_key: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    create_time: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime]
    raw: Mapped[dict]
    reply: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="stored")
    task_id: Mapped[int | None]
    plan: Mapped[dict | None]  # fast lane: reserved task number and routing decision, until materialized

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.openid} {self.msg_type}>"
