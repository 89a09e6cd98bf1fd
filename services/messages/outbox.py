"""Outbox: queue outbound messages in the caller's transaction; list them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.outbox import OutboxMessage, due_state


def enqueue(session: Session, to_openid: str, kind: str, text: str, *, now: datetime,
            sandbox: bool, payload: dict | None = None) -> OutboxMessage:
    """Write one outbound message; a worker delivers it after commit (sandbox: kept)."""
    row = OutboxMessage(to_openid=to_openid, kind=kind, text=text, payload=payload or {}, created_at=now,
                        **due_state(sandbox=sandbox, now=now))
    session.add(row)
    return row


def list_messages(session: Session, *, to: str | None = None, status: str | None = None,
                  limit: int = 500) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if to:
        query = query.where(OutboxMessage.to_openid == to)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(reversed(session.scalars(query).all()))


def record_template_result(session: Session, msgid: str | None, status: str | None) -> OutboxMessage | None:
    """TEMPLATESENDJOBFINISH: WeChat's final word on a template message ('success', 'failed:user block' ...)."""
    if not msgid:
        return None
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.wechat_msgid == str(msgid),
                                                     OutboxMessage.channel == "template"))
    if row is None or not status:
        return row
    if status != "success":
        row.status = "undeliverable"
        row.last_error = f"template delivery report: {status}"
    return row
