"""Outbox: queue outbound messages in the caller's transaction; list them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
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


UNSENT = ("queued", "sandbox")  # not yet claimed by the delivery worker


def unsent_for_task(session: Session, number: str, kind: str) -> list[OutboxMessage]:
    """Messages about task `number` of this kind that the worker has not picked up yet."""
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind,
                                                       OutboxMessage.status.in_(UNSENT))).all()
    return [row for row in rows if (row.payload or {}).get("task") == number]


def revise_unsent(session: Session, row: OutboxMessage, text: str | None) -> bool:
    """Rewrite (text) or withdraw (None) a message only if the worker has not claimed it; True if done."""
    values = {"text": text} if text is not None else {"status": "superseded", "next_attempt_at": None}
    done = session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.status.in_(UNSENT))
                           .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if done:
        session.refresh(row)
    return done
