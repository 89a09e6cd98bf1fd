"""The /wechat boundary: signature, decryption, size, XML safety, retry dedupe, store, dispatch, reply."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, Protocol

import time

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.metrics import Metrics
from core.spool import Spool
from core.config import Settings
from core.wechat import (Crypto, Inbound, WebhookError, check_nonce, check_signature, check_timestamp, parse_xml,
                         render_text_reply, to_inbound)
from handlers import texts
from handlers.router import Context, Router
from services.messages import inbound as inbound_svc
from services.messages import outbox as outbox_svc
from services.org import people

log = logging.getLogger("tongxin.webhook")


class WebhookState(Protocol):
    """What the boundary needs of the app's state (bot.AppState provides it)."""
    settings: Settings
    session_factory: sessionmaker[Session]
    router: Router
    rules: Any
    crypto: Crypto | None
    clock: Callable
    metrics: Metrics
    spool: Spool | None
    fast_lane: Any
    live_rules: Any


def handle_message(state: WebhookState, msg: Inbound) -> str:
    """Store and answer; if the database is unreachable, spool the message and answer politely."""
    try:
        if state.fast_lane is not None:
            reply = _fast_lane(state, msg)
            if reply is not None:
                return reply
            state.fast_lane.forget(msg.openid)
        return process_message(state, msg, now=state.clock())
    except OperationalError as exc:  # refused, gone, timed out: keep the message on disk instead
        if state.spool is None:
            raise
        log.error("database unreachable, spooled %s: %s", msg.dedupe_key, exc.__class__.__name__,
                  extra={"msg_key": msg.dedupe_key})
        state.spool.append({"raw": msg.raw, "received_at": state.clock().isoformat()})
        state.metrics.inc("tongxin_spooled_total", "messages spooled while the database was down")
        return texts.LATER


def _fast_lane(state: WebhookState, msg: Inbound) -> str | None:
    """The fast lane's answer (None: take the full path); a failure gets the full path's error answer."""
    try:
        done = state.fast_lane.try_handle(msg)
    except OperationalError:
        raise  # the database is unreachable: spooled by the caller
    except Exception:
        return _store_failure(state, msg)
    if done is None:
        return None
    if done.status == "retry":
        state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome="retry")
        return done.reply
    state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome="fast_lane")
    _handled(state, msg, done.status, task=done.task, routed_to=done.routed_to)
    return done.reply


def _handler_failed(state: WebhookState, msg: Inbound) -> str:
    log.exception("handler failed for message %s", msg.dedupe_key, extra={"msg_key": msg.dedupe_key})
    state.metrics.inc("tongxin_handler_errors_total", "handler exceptions")
    return texts.ERROR


def _store_failure(state: WebhookState, msg: Inbound) -> str:
    """Keep a message the fast lane failed on, marked as an error, and answer texts.ERROR."""
    reply = _handler_failed(state, msg)
    try:
        with state.session_factory() as session:
            row, is_new = inbound_svc.record(session, msg, now=state.clock())
            if is_new:
                row.status, row.reply = "error", reply
                session.commit()
    except OperationalError:
        raise
    except Exception:  # the answer stays polite even if the message cannot be kept
        log.exception("could not store failed message %s", msg.dedupe_key, extra={"msg_key": msg.dedupe_key})
    state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome="error")
    _handled(state, msg, "error")
    return reply


def _handled(state: WebhookState, msg: Inbound, outcome: str, *, task: str | None = None,
             routed_to: str | None = None) -> None:
    """The "message handled" log line and the routing metric, the same on both paths."""
    log.info("message handled", extra={"msg_key": msg.dedupe_key, "outcome": outcome,
                                       **({"task": task} if task else {})})
    if routed_to:
        state.metrics.inc("tongxin_routing_decisions_total", "requests by routed branch", branch=routed_to)


def process_message(state: WebhookState, msg: Inbound, *, now, deferred: bool = False) -> str:
    """Store the message (once), dispatch it, commit, and return the reply text ('' = none).

    `deferred` (spool replay): the user already got a holding answer, so the reply goes to the outbox.
    """
    with state.session_factory() as session:
        row, is_new = inbound_svc.record(session, msg, now=now)
        if not is_new:
            log.info("retry of %s answered from store", msg.dedupe_key, extra={"msg_key": msg.dedupe_key})
            state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome="retry")
            return row.reply or ""
        member = people.get_or_create_person(session, msg.openid, now=now)
        ctx = Context(session=session, settings=state.settings, member=member, now=now,
                      rules=state.live_rules.current(member.consortium_id, now), inbound_id=row.id)
        try:
            with session.begin_nested():
                reply = state.router.dispatch(msg, ctx)
        except Exception:
            reply = _handler_failed(state, msg)
            row.status = "error"
        row.reply = reply or ""
        if deferred and row.reply:
            outbox_svc.enqueue(session, msg.openid, "reply", row.reply, now=now, sandbox=state.settings.sandbox)
        session.commit()
        state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome=row.status)
        _handled(state, msg, row.status, task=ctx.notes.get("task"), routed_to=ctx.notes.get("routed_to"))
        return row.reply


def replay_spool(state: WebhookState) -> dict:
    """Store what was spooled while the database was down; each message once (dedupe)."""
    if state.spool is None:
        return {"files": 0, "replayed": 0, "duplicates": 0}
    files = state.spool.take()
    replayed = duplicates = 0
    for path in files:
        for record in state.spool.read(path):
            msg = to_inbound(record["raw"])
            before = state.metrics.value("tongxin_inbound_total", outcome="retry")
            at = record.get("received_at")  # as of its arrival: bursts and task times stay true
            process_message(state, msg, now=datetime.fromisoformat(at) if at else state.clock(), deferred=True)
            if state.metrics.value("tongxin_inbound_total", outcome="retry") > before:
                duplicates += 1
            else:
                replayed += 1
        path.unlink()
    from services.tasks import intake
    intake.create_queued_tasks(state.session_factory, now=state.clock(), sandbox=state.settings.sandbox)
    return {"files": len(files), "replayed": replayed, "duplicates": duplicates}


bp = Blueprint("wechat", __name__)


def _verify(settings, args) -> None:
    """timestamp (ASCII digits, in the window) and nonce (printable ASCII) before the signature over them."""
    check_timestamp(args.get("timestamp"), settings.webhook.timestamp_window)
    nonce = check_nonce(args.get("nonce"))
    check_signature((settings.wechat.token, args["timestamp"], nonce), args.get("signature"))


@bp.get("/wechat")
def handshake() -> Response:
    try:
        _verify(current_app.extensions["tongxin"].settings, request.args)
    except WebhookError as exc:
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    started = time.perf_counter()
    state = current_app.extensions["tongxin"]
    resp = _receive(state)
    state.metrics.observe("tongxin_webhook_seconds", time.perf_counter() - started, "webhook latency")
    state.metrics.inc("tongxin_webhook_requests_total", "webhook requests by HTTP status",
                      status=str(resp.status_code))
    return resp


def _receive(state: WebhookState) -> Response:
    settings = state.settings
    req = request._get_current_object()  # the request itself, not the context-local proxy, on the hot path
    args = req.args
    limit = settings.webhook.max_body_bytes
    if (req.content_length or 0) > limit:
        return Response("body too large", status=413, mimetype="text/plain")
    body = req.stream.read(limit + 1)
    if len(body) > limit:
        return Response("body too large", status=413, mimetype="text/plain")
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    try:
        _verify(settings, args)
        if encrypted:
            if state.crypto is None:
                raise WebhookError(400, "safe mode message but WECHAT_AES_KEY is not set")
            raw = parse_xml(state.crypto.decrypt(body, args.get("msg_signature"), args["timestamp"],
                                                 args["nonce"]))
        else:
            raw = parse_xml(body)
        msg = to_inbound(raw)
    except WebhookError as exc:
        log.warning("rejected webhook request: %s", exc)
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    except UnicodeDecodeError:
        return Response("body is not UTF-8", status=400, mimetype="text/plain")
    reply = handle_message(state, msg)
    if not reply:
        return Response("success", mimetype="text/plain")
    xml = render_text_reply(msg.openid, msg.account, reply)
    if encrypted:
        xml = state.crypto.encrypt(xml, args["nonce"])
    return Response(xml, mimetype="application/xml")
