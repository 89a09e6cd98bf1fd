"""The /wechat boundary: signature, decryption, size, XML safety, retry dedupe, store, dispatch, reply."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
from core.settings import Settings
from core.wechat import (Crypto, Inbound, WebhookError, check_signature, check_timestamp, parse_xml,
                         render_text_reply, to_inbound)
from handlers import texts
from handlers.router import Context, Router
from services import inbound as inbound_svc
from services import people

log = logging.getLogger("tongxin.webhook")


@dataclass
class WebhookState:
    settings: Settings
    session_factory: sessionmaker[Session]
    router: Router
    rules: Any
    crypto: Crypto | None
    clock: Callable = utcnow


def make_crypto(settings: Settings) -> Crypto | None:
    wc = settings.wechat
    return Crypto(wc.token, wc.aes_key, wc.app_id) if wc.aes_key else None


def handle_message(state: WebhookState, msg: Inbound) -> str:
    """Store the message (once), dispatch it, commit, and return the reply text ('' = none)."""
    now = state.clock()
    with state.session_factory() as session:
        row, is_new = inbound_svc.record(session, msg, now=now)
        if not is_new:
            log.info("retry of %s answered from store", msg.dedupe_key)
            return row.reply or ""
        member = people.get_or_create_person(session, msg.openid, now=now)
        ctx = Context(session=session, settings=state.settings, member=member, now=now,
                      rules=state.rules, inbound_id=row.id)
        try:
            with session.begin_nested():
                reply = state.router.dispatch(msg, ctx)
        except Exception:
            log.exception("handler failed for message %s", msg.dedupe_key)
            reply = texts.ERROR
            row.status = "error"
        row.reply = reply or ""
        session.commit()
        return row.reply


def make_blueprint(state: WebhookState) -> Blueprint:
    bp = Blueprint("wechat", __name__)
    settings = state.settings

    def _verify() -> None:
        check_timestamp(request.args.get("timestamp"), settings.webhook.timestamp_window)
        check_signature((settings.wechat.token, request.args.get("timestamp", ""), request.args.get("nonce", "")),
                        request.args.get("signature"))

    @bp.get("/wechat")
    def handshake() -> Response:
        try:
            _verify()
        except WebhookError as exc:
            return Response(exc.reason, status=exc.status, mimetype="text/plain")
        return Response(request.args.get("echostr", ""), mimetype="text/plain")

    @bp.post("/wechat")
    def receive() -> Response:
        limit = settings.webhook.max_body_bytes
        if (request.content_length or 0) > limit:
            return Response("body too large", status=413, mimetype="text/plain")
        body = request.stream.read(limit + 1)
        if len(body) > limit:
            return Response("body too large", status=413, mimetype="text/plain")
        encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
        try:
            _verify()
            if encrypted:
                if state.crypto is None:
                    raise WebhookError(400, "safe mode message but WECHAT_AES_KEY is not set")
                raw = parse_xml(state.crypto.decrypt(body, request.args.get("msg_signature"),
                                                     request.args["timestamp"], request.args.get("nonce", "")))
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
            xml = state.crypto.encrypt(xml, request.args.get("nonce"))
        return Response(xml, mimetype="application/xml")

    return bp
