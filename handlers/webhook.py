"""The /wechat boundary: signature, decryption, size, XML safety, retry dedupe, store, dispatch, reply."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import threading
import time
from pathlib import Path

from flask import Blueprint, Response, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.clock import utcnow
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


@dataclass
class WebhookState:
    settings: Settings
    session_factory: sessionmaker[Session]
    router: Router
    rules: Any
    crypto: Crypto | None
    clock: Callable = utcnow
    metrics: Metrics = field(default_factory=Metrics)
    spool: Spool | None = None
    fast_lane: Any = None  # handlers.fastlane.FastLane when enabled
    live_rules: Any = None  # services.routing.live.LiveRules: `rules` plus each consortium's accepted words

    def close(self) -> None:
        """Close pooled connections (tests build many apps)."""
        if self.fast_lane is not None:
            self.fast_lane.close()
        self.session_factory.kw["bind"].dispose()


def make_crypto(settings: Settings) -> Crypto | None:
    wc = settings.wechat
    return Crypto(wc.token, wc.aes_key, wc.app_id) if wc.aes_key else None


def handle_message(state: WebhookState, msg: Inbound) -> str:
    """Store and answer; if the database is unreachable, spool the message and answer politely."""
    try:
        if state.fast_lane is not None:
            reply = state.fast_lane.try_handle(msg)
            if reply is not None:
                state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome="fast_lane")
                return reply  # logged by nobody on the hot path: the metrics count it
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
                      rules=state.live_rules.current(member.consortium_id, now) if state.live_rules else state.rules,
                      inbound_id=row.id)
        try:
            with session.begin_nested():
                reply = state.router.dispatch(msg, ctx)
        except Exception:
            log.exception("handler failed for message %s", msg.dedupe_key, extra={"msg_key": msg.dedupe_key})
            state.metrics.inc("tongxin_handler_errors_total", "handler exceptions")
            reply = texts.ERROR
            row.status = "error"
        row.reply = reply or ""
        if deferred and row.reply:
            outbox_svc.enqueue(session, msg.openid, "reply", row.reply, now=now, sandbox=state.settings.sandbox)
        session.commit()
        state.metrics.inc("tongxin_inbound_total", "inbound messages by outcome", outcome=row.status)
        log.info("message handled", extra={"msg_key": msg.dedupe_key, "outcome": row.status,
                                           **({"task": ctx.notes["task"]} if "task" in ctx.notes else {})})
        if "routed_to" in ctx.notes:
            state.metrics.inc("tongxin_routing_decisions_total", "requests by routed branch",
                              branch=ctx.notes["routed_to"])
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
            process_message(state, msg, now=state.clock(), deferred=True)
            if state.metrics.value("tongxin_inbound_total", outcome="retry") > before:
                duplicates += 1
            else:
                replayed += 1
        path.unlink()
    from services.tasks import intake
    intake.materialize(state.session_factory, now=state.clock(), sandbox=state.settings.sandbox)
    return {"files": len(files), "replayed": replayed, "duplicates": duplicates}


def make_blueprint(state: WebhookState) -> Blueprint:
    bp = Blueprint("wechat", __name__)
    settings = state.settings

    def _verify(args) -> None:
        """timestamp (ASCII digits, in the window) and nonce (printable ASCII) before the signature over them."""
        check_timestamp(args.get("timestamp"), settings.webhook.timestamp_window)
        nonce = check_nonce(args.get("nonce"))
        check_signature((settings.wechat.token, args["timestamp"], nonce), args.get("signature"))

    @bp.get("/wechat")
    def handshake() -> Response:
        try:
            _verify(request.args)
        except WebhookError as exc:
            return Response(exc.reason, status=exc.status, mimetype="text/plain")
        return Response(request.args.get("echostr", ""), mimetype="text/plain")

    @bp.post("/wechat")
    def receive() -> Response:
        started = time.perf_counter()
        resp = _receive()
        state.metrics.observe("tongxin_webhook_seconds", time.perf_counter() - started, "webhook latency")
        state.metrics.inc("tongxin_webhook_requests_total", "webhook requests by HTTP status",
                          status=str(resp.status_code))
        return resp

    def _receive() -> Response:
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
            _verify(args)
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

    return bp


def build_state(settings: Settings, *, clock: Callable = utcnow, intake: str = "sync") -> WebhookState:
    """Wire what the webhook needs once per process: database, router, routing rules, crypto, spool.

    intake: "sync" creates a fast-lane request's task right after its commit, in the request;
    "thread" leaves it to a background thread of this process; "worker" to `python bot.py worker`;
    "off" sends every message through the full path.
    """
    from handlers.fastlane import DB_WAIT_SECONDS, FastLane
    from handlers.registry import build_router
    from models.db import create_schema, make_engine, make_session_factory
    from services.routing.live import LiveRules
    from services.routing.setup import load_routing
    engine = make_engine(settings.database_url, wait_seconds=DB_WAIT_SECONDS)
    create_schema(engine)
    state = WebhookState(settings=settings, session_factory=make_session_factory(engine), router=build_router(),
                         rules=load_routing(settings), crypto=make_crypto(settings), clock=clock,
                         spool=Spool(Path(settings.var_dir) / "spool"))
    state.live_rules = LiveRules(state.rules, state.session_factory, settings.routing.overlay_refresh_seconds)
    state.live_rules.refresh(clock())
    if intake != "off":
        materializer = Materializer(state)
        state.fast_lane = FastLane(settings, engine, state.live_rules, clock,
                                   on_stored={"sync": materializer.run_once, "thread": materializer.wake}.get(intake))
        if intake == "thread":
            materializer.start()
    return state


class Materializer:
    """Turns stored fast-lane requests into tasks (in the request, or in a background thread)."""

    def __init__(self, state: WebhookState):
        self.state = state
        self._event = threading.Event()

    def run_once(self) -> int:
        """Materialize what is queued; a failure leaves rows queued for the next run (never lost)."""
        from services.tasks import intake
        try:
            return intake.materialize(self.state.session_factory, now=self.state.clock(),
                                      sandbox=self.state.settings.sandbox)
        except Exception:
            log.exception("materializing queued requests failed; they stay queued")
            return 0

    def wake(self) -> None:
        self._event.set()

    def start(self) -> None:
        def loop() -> None:
            while True:
                self._event.wait(2.0)
                self._event.clear()
                try:
                    self.run_once()
                except Exception:
                    time.sleep(2.0)

        threading.Thread(target=loop, name="materializer", daemon=True).start()


def start_spool_replayer(state: WebhookState, interval: float = 30.0) -> None:
    """A daemon thread per process: replay the spool at start-up and then every `interval` seconds."""
    def loop() -> None:
        while True:
            try:
                if state.spool.pending():
                    log.info("spool replay: %s", replay_spool(state))
            except OperationalError:
                pass  # still down; try again later
            except Exception:
                log.exception("spool replay failed")
            time.sleep(interval)

    threading.Thread(target=loop, name="spool-replayer", daemon=True).start()
