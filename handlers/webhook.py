"""The /wechat boundary: signature, decryption, size, XML safety, retry dedupe, store, dispatch, reply."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
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
    materializer: Any = None  # its background thread (--intake thread)

    def close(self) -> None:
        """Stop the background thread and close pooled connections (tests build many apps)."""
        if self.materializer is not None:
            self.materializer.stop()
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
                      rules=state.rules, inbound_id=row.id)
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
    from services.routing.setup import load_routing
    engine = make_engine(settings.database_url, wait_seconds=DB_WAIT_SECONDS)
    create_schema(engine)
    state = WebhookState(settings=settings, session_factory=make_session_factory(engine), router=build_router(),
                         rules=load_routing(settings), crypto=make_crypto(settings), clock=clock,
                         spool=Spool(Path(settings.var_dir) / "spool"))
    if intake != "off":
        materializer = Materializer(state)
        state.fast_lane = FastLane(settings, engine, state.rules, clock,
                                   on_stored={"sync": materializer.run_once, "thread": materializer.wake}.get(intake))
        if intake == "thread":
            state.materializer = materializer
            materializer.start()
    return state


class Materializer:
    """Turns stored fast-lane requests into tasks (in the request, or in a background thread)."""

    def __init__(self, state: WebhookState):
        self.state = state
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Materialize what is queued; a failure leaves rows queued for the next run (never lost)."""
        from services.tasks import intake
        try:
            return intake.create_queued_tasks(self.state.session_factory, now=self.state.clock(),
                                      sandbox=self.state.settings.sandbox)
        except Exception:
            log.exception("materializing queued requests failed; they stay queued")
            return 0

    def wake(self) -> None:
        self._event.set()

    def stop(self) -> None:
        """Stop the background thread and wait for a run under way to finish."""
        self._stopped.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def start(self) -> None:
        def loop() -> None:
            while not self._stopped.is_set():
                self._event.wait(2.0)
                self._event.clear()
                if self._stopped.is_set():
                    break
                try:
                    self.run_once()
                except Exception:
                    time.sleep(2.0)

        self._thread = threading.Thread(target=loop, name="materializer", daemon=True)
        self._thread.start()


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
