"""The fast lane for the commonest messages: a member's new request or small talk, a stranger's text.

What a text means is decided by `services.intake_plan.plan`, the same rule the
full path (handlers/member.py) follows; the fast lane only keeps what makes it
fast. A planned message is stored with whatever other messages arrive at the
same moment in ONE multi-row INSERT and ONE commit (group commit): each waits
for its group's commit before it is answered, so nothing is acknowledged that
is not durable. A request gets its number inside that insert (numbers follow
commit order across processes); its task, audit event and the branch's
notification are created right after by `create_queued_tasks`. A request whose
sender has another request under way is not stored there: it takes the full
path, which joins bursts into one request (services/tasks/bursts.py). Identities are cached per process and dropped as soon as the
identity version in the database moves (bind, unbind, role change anywhere).
Commands, ratings and everything else take the full path (handle_message).
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.wechat import Inbound
from handlers import replies, texts
from models.org import DEFAULT_OFFICE
from services.tasks import bursts, intake
from services.tasks import plan as intake_plan
from services.tasks.plan import Identity, Plan

log = logging.getLogger("tongxin.fastlane")
DB_WAIT_SECONDS = 3.5  # a statement's longest wait: WeChat gives up after 5 s, then retries
IDENTITY_CACHE_MAX = 50_000  # identities kept per process (a flood of strangers must not grow it forever)
SETTLE_CAP = 0.002  # seconds a group leader waits at most for the event loop to go idle


def settle_function() -> Callable[[], None]:
    """How a leader lets requests already under way join its group before it commits.

    Under gevent: wait until the event loop is idle, i.e. every request this process
    is serving has either queued its row or is waiting on its client, capped at
    SETTLE_CAP for a loop that is never idle. With threads: one yield.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent

        def settle() -> None:
            with gevent.Timeout(SETTLE_CAP, False):
                gevent.idle()
        return settle
    return lambda: time.sleep(0)


class GroupWriter:
    """Group commit without a writer thread: the first request to arrive leads.

    The leader inserts every row queued so far (its own included) in one INSERT and
    one commit, wakes those requests, and hands leadership to the next waiting one if
    more arrived meanwhile. Alone, a request writes its own row with no thread hand-off;
    under load, rows that arrive during a commit share the next one.

    `insert(rows)` stores a group and returns {dedupe key inserted: task number or None}
    (each row gets its number as row["number"]). If a group
    fails for any reason but an unreachable database, its rows are retried one by one,
    so that one bad row fails only its own request.
    """

    def __init__(self, insert: Callable[[list[dict]], set[str]]):
        self.insert = insert
        self._settle = settle_function()
        self._lock = threading.Lock()
        self._queue: list[dict] = []
        self._leading = False
        self.groups = self.rows = 0

    def write(self, row: dict, timeout: float = 4.0) -> bool:
        """Store `row`; True if inserted, False if it was already stored (a retry). Raises on DB errors."""
        slot = {"row": row, "done": threading.Event(), "lead": False}
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            if lead:
                self._leading = True
        if not lead:
            if not slot["done"].wait(timeout):
                raise TimeoutError("group commit timed out")
            if not slot["lead"]:
                return self._result(slot)
        self._lead()
        return self._result(slot)

    @staticmethod
    def _result(slot: dict) -> bool:
        if "error" in slot:
            raise slot["error"]
        return slot["result"]

    def _store(self, batch: list[dict]) -> None:
        try:
            inserted = self.insert([s["row"] for s in batch])
        except OperationalError as exc:  # every waiter learns of it; the webhook spools
            for s in batch:
                s["error"] = exc
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0]["error"] = exc
                return
            for s in batch:
                self._store([s])
            return
        for s in batch:
            key = s["row"]["dedupe_key"]
            s["result"] = key in inserted
            s["row"]["number"] = inserted.get(key) if isinstance(inserted, dict) else None
        self.groups += 1
        self.rows += len(batch)

    def _lead(self) -> None:
        self._settle()  # let the requests already under way reach the queue first
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            self._store(batch)
        finally:
            with self._lock:
                if self._queue:
                    nxt = self._queue[0]
                    nxt["lead"] = True
                    nxt["done"].set()  # it wakes, leads the next group
                else:
                    self._leading = False
            for s in batch:
                s["done"].set()


class GroupReader(GroupWriter):
    """Identity look-ups under way share one query the same way (a flood of strangers is all misses).

    `fetch(openids)` returns {openid: (identity version, Identity)} for every openid asked.
    """

    def __init__(self, fetch: Callable[[list[str]], dict]):
        super().__init__(fetch)

    def read(self, openid: str) -> tuple[int, Identity]:
        return self.write(openid)

    def _store(self, batch: list[dict]) -> None:
        try:
            found = self.insert(list({s["row"] for s in batch}))
        except Exception as exc:  # every waiter learns of it (unreachable: the webhook spools)
            for s in batch:
                s["error"] = exc
            return
        for s in batch:
            s["result"] = found[s["row"]]


@dataclass(frozen=True)
class Handled:
    """What the fast lane did with a message: the reply and the facts the webhook logs and counts."""
    reply: str
    status: str
    routed_to: str | None = None
    task: str | None = None


class FastLane:
    def __init__(self, settings: Settings, engine: Engine, live_rules, clock: Callable[[], datetime],
                 on_stored: Callable[[], None] | None = None):
        """`live_rules`: services.routing.live.LiveRules (the rules file plus the office's words)."""
        self.settings, self.engine, self.live_rules, self.clock = settings, engine, live_rules, clock
        window = bursts.Window.of(settings.tasks)
        self.store = intake.fast_store(engine, DB_WAIT_SECONDS,
                                       (window.burst.total_seconds(), window.same_matter.total_seconds()))
        self.writer = GroupWriter(self.store.insert)
        self.reads = intake.fast_store(engine, DB_WAIT_SECONDS)  # identity reads: never behind a commit
        self.reader = GroupReader(self.reads.lookup_many)
        self._identities: dict[str, Identity] = {}
        self._version: int | None = None
        self._lock = threading.Lock()
        self._on_stored = on_stored
        self._confs = {c.code: c for c in settings.consortia}
        self._consortium_codes: dict[int, str] = {}

    def close(self) -> None:
        self.store.close()
        self.reads.close()

    def forget(self, openid: str) -> None:
        """Called after the full path handled this user (their role may have changed)."""
        self._identities.pop(openid, None)

    def identity(self, openid: str) -> tuple[int, Identity]:
        """Who sent this and the identity version that says so: cached, or read with the version."""
        cached, version = self._identities.get(openid), self._version
        if cached is not None and version is not None:
            return version, cached
        version, ident = self.reader.read(openid)
        self._seen(version)
        if len(self._identities) >= IDENTITY_CACHE_MAX:
            self._identities.clear()
        self._identities[openid] = ident
        return version, ident

    def _seen(self, version: int) -> bool:
        """Drop every cached identity when the version moved; True if it did."""
        with self._lock:
            if version == self._version:
                return False
            self._identities.clear()
            self._version = version
            return True

    def _consortium(self, consortium_id: int):
        if consortium_id not in self._consortium_codes:
            from sqlalchemy import select
            from models.org import Consortium
            with self.engine.connect() as conn:
                self._consortium_codes.update(dict(conn.execute(select(Consortium.id, Consortium.code)).all()))
        return self._confs.get(self._consortium_codes.get(consortium_id))

    def _request_reply(self, ident: Identity, plan: Plan, number: str) -> str:
        conf = self._consortium(ident.consortium_id)
        branches = {b.code: b.name for b in conf.branches} if conf else {}
        return replies.request_reply(number, branches.get(plan.routed_to),
                                   conf.office_name if conf else DEFAULT_OFFICE)

    def try_handle(self, msg: Inbound, replan: bool = True) -> Handled | None:
        """What was done, or None when this message needs the full path."""
        if msg.msg_type != "text" or not msg.text:
            return None
        version, ident = self.identity(msg.openid)
        now = self.clock()
        plan = intake_plan.plan(msg.text, ident, self.live_rules.current(ident.consortium_id, now))
        if plan.rating or plan.kind == intake_plan.COMMAND:
            return None  # the routers decide (a rating needs the sender's tasks)
        row = {"dedupe_key": msg.dedupe_key, "openid": msg.openid, "msg_type": msg.msg_type, "msg_id": msg.msg_id,
               "event": None, "event_key": None, "content": msg.content, "create_time": msg.create_time,
               "received_at": now, "raw": msg.raw, "task_id": None, "plan": {"identity": version}}
        if plan.kind == intake_plan.PENDING:
            done = Handled(texts.UNBOUND_STORED, "pending_bind")
        elif plan.kind == intake_plan.TALK:
            done = Handled(replies.talk_reply(plan.talk), "stored")
        else:
            reply = self._request_reply(ident, plan, intake.NUMBER_MARK)
            done = Handled(reply, intake.QUEUED, plan.routed_to)
            row["plan"].update(person_id=ident.person_id, decision=plan.decision.to_dict(),
                               year=now.astimezone(self.settings.tz).year)
        row.update(reply=done.reply, status=done.status)
        if not self.writer.write(row):
            moved = self._seen(self.reads.version())
            if moved:  # planned on an identity changed meanwhile (unbound, new role): plan it again
                return self.try_handle(msg, replan=False) if replan else None
            before = intake.stored_reply(self.engine, msg.dedupe_key)
            return Handled(before, "retry") if before else None  # a retry: same answer; else a burst
        if done.status == intake.QUEUED:
            number = row["number"]
            done = Handled(done.reply.replace(intake.NUMBER_MARK, number), done.status, done.routed_to, number)
            if self._on_stored:
                self._on_stored()
        return done
