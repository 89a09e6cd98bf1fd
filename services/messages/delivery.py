"""Outbox delivery: claim due rows, pick the API, send, record every attempt, retry or give up.

A row moves queued -> sending (claimed with a lease) -> sent | queued (retry later) |
failed | undeliverable. Claims are one UPDATE over a `FOR UPDATE SKIP LOCKED`
subquery (PostgreSQL; SQLite's single writer serialises them), so two workers never
hold the same row; a row whose lease expired (worker killed) is queued again.
"""
from __future__ import annotations

import logging
import random
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.wechat_client import WeChatApi, WeChatApiError
from models.delivery import DeliveryAttempt
from models.message import InboundMessage
from models.outbox import OutboxMessage
from models.task import Task
from services.org import structure as org
from services.menu import tags as tags_svc
from services.messages import outbox as outbox_svc
from core.config.delivery import DeliveryConf

log = logging.getLogger("tongxin.delivery")
FALLBACK_CODES = frozenset({45015, 45047})  # outside the 48-hour window / quota: try a template
PERMANENT_CODES = frozenset({43004, 40003, 43101, 40037, 47001})  # unfollowed, bad openid, refused, bad template/data
REQUESTER_KINDS = ("task_update", "task_resolved")
DELIVERY_FAILED = ("【通知未送达】诉求 {number} 发给反映人{requester}的通知未能送达（{reason}）。"
                   "请通过电话等方式联系反映人。\n原通知：{text}")


@dataclass(frozen=True)
class Job:
    """A claimed outbox row, detached from the session while the HTTP calls run."""
    id: int
    to_openid: str
    kind: str
    text: str
    payload: dict
    attempts: int
    created_at: datetime
    last_seen: datetime | None = None


@dataclass
class Result:
    outcome: str  # sent, retry, failed, undeliverable
    calls: list[dict] = field(default_factory=list)
    channel: str | None = None
    msgid: str | None = None
    reason: str | None = None


def recover_expired(session: Session, *, now: datetime, worker: str, conf: DeliveryConf) -> int:
    """Queue again rows whose worker died mid-send (lease expired), or fail them at the attempt limit."""
    due = (select(OutboxMessage.id).where(OutboxMessage.status == "sending", OutboxMessage.lease_until < now)
           .limit(conf.batch_size).with_for_update(skip_locked=True).scalar_subquery())
    rows = session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(due))
                           .values(status=case((OutboxMessage.attempts >= conf.max_attempts, "failed"),
                                               else_="queued"),
                                   next_attempt_at=now, lease_until=None, last_error="发送中断（租约过期）")
                           .returning(OutboxMessage.id, OutboxMessage.claimed_by, OutboxMessage.status)
                           .execution_options(synchronize_session=False)).all()
    for outbox_id, claimed_by, status in rows:
        session.add(DeliveryAttempt(outbox_id=outbox_id, at=now, worker=worker, api="lease", errcode=None,
                                    message=f"lease of {claimed_by} expired", outcome=status.replace("queued", "retry")))
    return len(rows)


def claim(session: Session, *, now: datetime, worker: str, conf: DeliveryConf, limit: int | None = None) -> list[Job]:
    """Take up to `limit` due rows for `worker` until now + lease; the caller commits."""
    due = (select(OutboxMessage.id).where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit or conf.batch_size)
           .with_for_update(skip_locked=True).scalar_subquery())
    rows = session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(due))
        .values(status="sending", claimed_by=worker, lease_until=now + timedelta(seconds=conf.lease_seconds),
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id, OutboxMessage.to_openid, OutboxMessage.kind, OutboxMessage.text,
                   OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.created_at)
        .execution_options(synchronize_session=False)).all()
    seen = last_seen(session, {r.to_openid for r in rows})
    return sorted((Job(*r, last_seen=seen.get(r.to_openid)) for r in rows), key=lambda j: j.id)


def last_seen(session: Session, openids: set[str]) -> dict[str, datetime]:
    """When each user last wrote to the account (services.inbound.last_message_at, for many at once)."""
    if not openids:
        return {}
    rows = session.execute(select(InboundMessage.openid, func.max(InboundMessage.received_at))
                           .where(InboundMessage.openid.in_(openids), InboundMessage.msg_type != "event")
                           .group_by(InboundMessage.openid)).all()
    return {openid: at for openid, at in rows if at is not None}


def _call(calls: list[dict], api: str, fn: Callable[[], dict]) -> tuple[dict | None, WeChatApiError | None]:
    try:
        answer = fn()
    except WeChatApiError as exc:
        calls.append({"api": api, "errcode": exc.errcode if exc.errcode is not None else exc.http_status,
                      "message": exc.message, "msgid": None})
        return None, exc
    msgid = str(answer["msgid"]) if answer.get("msgid") is not None else None
    calls.append({"api": api, "errcode": 0, "message": "ok", "msgid": msgid})
    return answer, None


def is_transient(exc: WeChatApiError) -> bool:
    """Network, HTTP 5xx, -1 busy, 45009 rate limit, token trouble, anything unknown: try again later."""
    if exc.errcode is None:
        return exc.http_status is None or exc.http_status >= 500 or exc.http_status == 429
    return exc.errcode not in PERMANENT_CODES


def _failure(calls: list[dict], exc: WeChatApiError) -> Result:
    return Result("retry" if is_transient(exc) else "failed", calls, reason=str(exc))


def _template_values(job: Job, conf: DeliveryConf) -> dict[str, str]:
    lines = [line for line in job.text.splitlines() if line.strip()]
    return {"text": " ".join(lines), "title": lines[0] if lines else "", "task": str(job.payload.get("task") or ""),
            "time": job.created_at.astimezone(conf.tz).strftime("%Y-%m-%d %H:%M"), "kind": job.kind}


def deliver(api: WeChatApi, job: Job, conf: DeliveryConf, *, now: datetime) -> Result:
    """Customer-service message inside the 48-hour window, else (or on 45015/45047) the kind's template."""
    calls: list[dict] = []
    in_window = job.last_seen is not None and now - job.last_seen < timedelta(hours=conf.window_hours)
    why_not_custom = "用户48小时内未发消息"
    if in_window:
        _, exc = _call(calls, "custom", lambda: api.send_text(job.to_openid, job.text))
        if exc is None:
            return Result("sent", calls, channel="custom")
        if exc.errcode not in FALLBACK_CODES:
            return _failure(calls, exc)
        why_not_custom = f"客服消息被拒（{exc.errcode}）"
    template = conf.templates.get(job.kind)
    if template is None:
        return Result("undeliverable", calls, reason=f"{why_not_custom}，且未为「{job.kind}」配置模板消息")
    answer, exc = _call(calls, "template", lambda: api.send_template(
        job.to_openid, template.template_id, template.render(_template_values(job, conf)), url=template.url))
    if exc is not None:
        return _failure(calls, exc)
    return Result("sent", calls, channel="template", msgid=calls[-1]["msgid"])


def deliver_tags(api: WeChatApi, jobs: list[Job], ids: dict[str, int]) -> list[tuple[Job, Result]]:
    """`tag` rows: one batchtagging/batchuntagging call per batch; a batch refused for good is
    retried one openid at a time, so one bad openid does not fail the others."""
    done: list[tuple[Job, Result]] = []
    for batch in tags_svc.batches(jobs, ids):
        if batch.action == "skip":
            done += [(job, Result("sent", [], channel="tag", reason="superseded by a newer row in the same pass"))
                     for job in batch.jobs]
        elif batch.tag_id is None or batch.action not in ("tag", "untag"):
            reason = tags_svc.NOT_PUSHED.format(role=batch.role)
            done += [(job, Result("failed", reason=reason)) for job in batch.jobs]
        else:
            done += _send_batch(api, batch)
    return done


def _send_batch(api: WeChatApi, batch) -> list[tuple[Job, Result]]:
    send = api.tag_users if batch.action == "tag" else api.untag_users
    api_name = f"tags/{batch.action}"
    calls: list[dict] = []
    _, exc = _call(calls, api_name, lambda: send(batch.tag_id, [j.to_openid for j in batch.jobs]))
    if exc is None:
        return [(job, Result("sent", calls, channel="tag")) for job in batch.jobs]
    if len(batch.jobs) == 1 or is_transient(exc):
        return [(job, _failure(calls, exc)) for job in batch.jobs]
    return [pair for job in batch.jobs
            for pair in _send_batch(api, tags_svc.Batch(batch.action, batch.tag_id, batch.role, (job,)))]


def backoff(attempts: int, conf: DeliveryConf, rng: random.Random | None = None) -> timedelta:
    """Exponential delay after `attempts` tries, capped, with jitter in [50 %, 100 %]."""
    delay = min(conf.backoff_max_seconds, conf.backoff_base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * (rng or random).uniform(0.5, 1.0))


def _attempt_rows(job: Job, result: Result, outcome: str, *, now: datetime, worker: str) -> list[dict]:
    calls = result.calls or [{"api": "none", "errcode": None, "message": result.reason or outcome, "msgid": None}]
    return [{"outbox_id": job.id, "at": now, "worker": worker, "api": c["api"], "errcode": c["errcode"],
             "message": (c["message"] or "")[:1000], "msgid": c["msgid"],
             "outcome": outcome if i == len(calls) - 1 else "fallback"} for i, c in enumerate(calls)]


def _row_values(job: Job, result: Result, outcome: str, *, now: datetime, conf: DeliveryConf,
                rng: random.Random | None) -> dict:
    values = {"b_id": job.id, "status": outcome, "last_error": result.reason, "sent_at": None,
              "channel": None, "wechat_msgid": None, "next_attempt_at": None}
    if outcome == "sent":
        values.update(sent_at=now, channel=result.channel, wechat_msgid=result.msgid)
    elif outcome == "retry":
        values.update(status="queued", next_attempt_at=now + backoff(job.attempts, conf, rng))
    return values


def record(session: Session, done: list[tuple[Job, Result]], *, now: datetime, worker: str,
           conf: DeliveryConf, sandbox: bool = False, rng: random.Random | None = None) -> list[str]:
    """Store attempts and new row states in a few statements (rows only while our claim holds)."""
    outcomes, attempts, updates = [], [], []
    for job, result in done:
        outcome = result.outcome
        if outcome == "retry" and job.attempts >= conf.max_attempts:
            outcome, result.reason = "failed", f"{job.attempts} 次尝试均失败：{result.reason}"
        outcomes.append(outcome)
        attempts += _attempt_rows(job, result, outcome, now=now, worker=worker)
        updates.append(_row_values(job, result, outcome, now=now, conf=conf, rng=rng))
    if attempts:
        session.execute(insert(DeliveryAttempt), attempts)
    table = OutboxMessage.__table__
    stmt = (table.update().where(table.c.id == bindparam("b_id"), table.c.claimed_by == worker,
                                 table.c.status == "sending").values(lease_until=None))
    given_up = [(u, job, res) for u, (job, res) in zip(updates, done) if u["status"] in ("failed", "undeliverable")]
    ordinary = [u for u in updates if u["status"] not in ("failed", "undeliverable")]
    if ordinary:
        session.execute(stmt, ordinary)
    for values, job, result in given_up:  # one by one: only a row still ours tells the sender
        if session.execute(stmt, values).rowcount:
            tell_sender(session, job, result.reason or values["status"], now=now, sandbox=sandbox)
    return outcomes


def tell_sender(session: Session, job: Job, reason: str, *, now: datetime, sandbox: bool) -> int:
    """A task notification to the requester failed: tell the branch staff (or the office) in WeChat."""
    number = job.payload.get("task") if isinstance(job.payload, dict) else None
    if not number or job.kind not in REQUESTER_KINDS:
        return 0
    task = session.scalar(select(Task).where(Task.number == number))
    if task is None or task.requester.openid != job.to_openid:
        return 0
    staff = org.branch_staff(session, task.branch_id) if task.branch_id else []
    staff = staff or org.office_staff(session, task.consortium_id)
    text = DELIVERY_FAILED.format(number=number, requester=task.requester.display, reason=reason, text=job.text)
    for person in staff:
        outbox_svc.enqueue(session, person.openid, "alert", text, now=now, sandbox=sandbox,
                           payload={"task": number, "undelivered": job.id})
    return len(staff)


def run_once(factory: sessionmaker, api: WeChatApi, conf: DeliveryConf, *, worker: str,
             clock: Callable[[], datetime], pool: ThreadPoolExecutor | None = None, sandbox: bool = False,
             rng: random.Random | None = None, limit: int | None = None) -> dict[str, int]:
    """Claim one batch, send it (`pool`: in parallel, at most threads x 2 ahead), record as calls finish."""
    counts = {"claimed": 0, "recovered": 0, "sent": 0, "retry": 0, "failed": 0, "undeliverable": 0}
    with factory.kw["bind"].connect() as conn, factory(bind=conn) as session:  # one connection per batch
        counts["recovered"] = recover_expired(session, now=clock(), worker=worker, conf=conf)
        jobs = deque(claim(session, now=clock(), worker=worker, conf=conf, limit=limit))
        session.commit()
        counts["claimed"] = len(jobs)
        tag_jobs = [j for j in jobs if j.kind == tags_svc.KIND]
        if tag_jobs:
            jobs = deque(j for j in jobs if j.kind != tags_svc.KIND)
            done = deliver_tags(api, tag_jobs, tags_svc.tag_ids(session))
            for outcome in record(session, done, now=clock(), worker=worker, conf=conf, sandbox=sandbox, rng=rng):
                counts[outcome] += 1
            session.commit()
        send = lambda job: deliver(api, job, conf, now=clock())  # noqa: E731
        inflight: dict = {}
        while jobs or inflight:
            if pool is None:
                done = [(job := jobs.popleft(), send(job))]
            else:  # a worker killed now has sent at most `window` rows it did not record
                while jobs and len(inflight) < conf.threads * 2:
                    job = jobs.popleft()
                    inflight[pool.submit(send, job)] = job
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                done = [(inflight.pop(f), f.result()) for f in finished]
            for outcome in record(session, done, now=clock(), worker=worker, conf=conf, sandbox=sandbox, rng=rng):
                counts[outcome] += 1
            session.commit()
    return counts
