"""Inbound messages: store each accepted message once (WeChat retries), find pending ones."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.wechat import Inbound
from models.message import InboundMessage


def record(session: Session, msg: Inbound, *, now: datetime) -> tuple[InboundMessage, bool]:
    """Insert the message; on a retry return the stored row and False."""
    existing = session.scalar(select(InboundMessage).where(InboundMessage.dedupe_key == msg.dedupe_key))
    if existing is not None:
        return existing, False
    row = InboundMessage(dedupe_key=msg.dedupe_key, openid=msg.openid, msg_type=msg.msg_type,
                         msg_id=msg.msg_id, event=msg.event, event_key=msg.event_key,
                         content=msg.content, create_time=msg.create_time, received_at=now,
                         raw=msg.raw, status="stored")
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same retry arrived on another worker at the same moment
        return session.scalar(select(InboundMessage).where(InboundMessage.dedupe_key == msg.dedupe_key)), False
    return row, True


def mark(session: Session, inbound_id: int | None, status: str, task_id: int | None = None) -> None:
    if inbound_id is None:
        return
    row = session.get(InboundMessage, inbound_id)
    row.status = status
    if task_id is not None:
        row.task_id = task_id


def pending_for(session: Session, openid: str) -> list[InboundMessage]:
    """Requests an unbound user sent before binding, oldest first."""
    return list(session.scalars(select(InboundMessage)
                                .where(InboundMessage.openid == openid, InboundMessage.status == "pending_bind")
                                .order_by(InboundMessage.id)).all())


def last_message_at(session: Session, openid: str) -> datetime | None:
    """When the user last wrote to the account (for the 48-hour customer-service window)."""
    return session.scalar(select(InboundMessage.received_at)
                          .where(InboundMessage.openid == openid, InboundMessage.msg_type != "event")
                          .order_by(InboundMessage.id.desc()).limit(1))


def list_messages(session: Session, *, openid: str | None = None, limit: int = 200) -> list[InboundMessage]:
    query = select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)
    if openid:
        query = query.where(InboundMessage.openid == openid)
    return list(reversed(session.scalars(query).all()))
