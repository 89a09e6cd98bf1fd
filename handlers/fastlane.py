"""The fast lane for the commonest message: a bound member's new request.

Everything else takes the full path (handle_message). Here a request is
classified, given a reserved number and stored with whatever other requests
arrive at the same moment in ONE multi-row INSERT and ONE commit (group
commit): each request waits for its group's commit before it is answered, so
nothing is acknowledged that is not durable. The task, its audit event and the
branch's notification are created right after by `materialize`.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import datetime
from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.wechat import Inbound
from handlers import texts
from handlers.member import DIGIT, SMALL_TALK_MAX
from handlers.router import looks_like_command
from routing import classify, normalize
from services.tasks import intake

log = logging.getLogger("tongxin.fastlane")
DB_WAIT_SECONDS = 3.5  # a statement's longest wait: WeChat gives up after 5 s, then retries
MEMBER_TTL = 30.0  # seconds a bound member's identity is trusted without a lookup
NUMBER_BLOCK = 20
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

    `insert(rows)` stores a group and returns the dedupe keys it inserted. If a group
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
        return slot["inserted"]

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
            s["inserted"] = s["row"]["dedupe_key"] in inserted
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


class FastLane:
    def __init__(self, settings: Settings, engine: Engine, live_rules, clock: Callable[[], datetime],
                 on_stored: Callable[[], None] | None = None):
        """`live_rules`: services.routing.live.LiveRules (the rules file plus the office's words)."""
        self.settings, self.engine, self.live_rules, self.clock = settings, engine, live_rules, clock
        self.store = intake.fast_store(engine, DB_WAIT_SECONDS)
        self.writer = GroupWriter(self.store.insert)
        self._members: dict[str, tuple[float, dict | None]] = {}
        self._numbers: dict[int, range] = {}
        self._lock = threading.Lock()
        self._on_stored = on_stored
        self._branch_names = {c.code: {b.code: b.name for b in c.branches} for c in settings.consortia}
        self._consortium_codes: dict[int, str] = {}

    def close(self) -> None:
        self.store.close()

    def forget(self, openid: str) -> None:
        """Called after the full path handled this user (their role may have changed)."""
        self._members.pop(openid, None)

    def _member(self, openid: str) -> dict | None:
        hit = self._members.get(openid)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        ident = intake.member_identity(self.engine, openid)
        if ident is not None:
            self._members[openid] = (time.monotonic() + MEMBER_TTL, ident)
        return ident

    def _number(self, year: int) -> str:
        with self._lock:
            block = self._numbers.get(year)
            if not block:
                block = self.store.reserve(year, NUMBER_BLOCK)
            self._numbers[year] = block[1:]
            return f"T-{year}-{block[0]:04d}"

    def _branch_name(self, consortium_id: int, code: str) -> str | None:
        if consortium_id not in self._consortium_codes:
            from sqlalchemy import select
            from models.org import Consortium
            with self.engine.connect() as conn:
                self._consortium_codes.update(dict(conn.execute(select(Consortium.id, Consortium.code)).all()))
        return self._branch_names.get(self._consortium_codes.get(consortium_id), {}).get(code)

    def try_handle(self, msg: Inbound) -> str | None:
        """The reply, or None when this message needs the full path."""
        text = msg.text
        if msg.msg_type != "text" or not text or looks_like_command(text) or DIGIT.match(text):
            return None
        member = self._member(msg.openid)
        if member is None:
            return None
        now = self.clock()
        decision = classify(text, self.live_rules.current(member["consortium_id"], now))
        if decision.branch == "triage" and len(normalize(text)) <= SMALL_TALK_MAX:
            return None
        local = now.astimezone(self.settings.tz)
        number = self._number(local.year)
        branch = None if decision.branch == "triage" else self._branch_name(member["consortium_id"], decision.branch)
        reply = (texts.REQUEST_ROUTED.format(number=number, branch=branch) if branch else
                 texts.REQUEST_TRIAGE.format(number=number, office="党委办公室"))
        row = {"dedupe_key": msg.dedupe_key, "openid": msg.openid, "msg_type": msg.msg_type, "msg_id": msg.msg_id,
               "event": None, "event_key": None, "content": msg.content, "create_time": msg.create_time,
               "received_at": now, "raw": msg.raw, "reply": reply, "status": intake.QUEUED, "task_id": None,
               "plan": {"number": number, "person_id": member["person_id"], "decision": decision.to_dict()}}
        if not self.writer.write(row):
            return intake.stored_reply(self.engine, msg.dedupe_key)  # a retry: same answer as the first time
        if self._on_stored:
            self._on_stored()
        return reply
