"""The fast lane's group commit: grouping, isolation of a bad row, PostgreSQL's one-statement insert."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from handlers.fastlane import GroupWriter
from models.db import make_engine
from models.message import InboundMessage
from services.tasks.intake import PgStore


def _row(key: str, **extra) -> dict:
    return {"dedupe_key": key, "openid": "demo-member-BSZ", "msg_type": "text", "msg_id": 1, "event": None,
            "event_key": None, "content": "B超机坏了 ]]> <&> 🙂", "create_time": 1_790_000_000,
            "received_at": datetime(2026, 11, 23, 11, 30, 5, 123456, tzinfo=timezone.utc),
            "raw": {"Content": "B超机坏了", "MsgType": "text"}, "reply": "已收到", "status": "task_queued",
            "task_id": None, "plan": {"year": 2026, "decision": {"branch": "logistics"}}, **extra}


def test_concurrent_writers_share_commits_and_each_learns_its_own_outcome():
    groups: list[list[str]] = []

    def insert(rows):
        time.sleep(0.01)  # a commit in flight: others queue behind it
        groups.append([r["dedupe_key"] for r in rows])
        return {r["dedupe_key"] for r in rows if not r["dedupe_key"].endswith("dup")}

    writer = GroupWriter(insert)
    results: dict[str, bool] = {}
    keys = [f"k{i}" + ("dup" if i % 5 == 0 else "") for i in range(24)]
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, writer.write(_row(k)))) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(k for g in groups for k in g) == sorted(keys)          # every row stored exactly once
    assert len(groups) < len(keys) and writer.rows == 24                 # and commits were shared
    assert results == {k: not k.endswith("dup") for k in keys}


def test_a_bad_row_fails_only_its_own_request():
    def insert(rows):
        if any(r["content"] == "bad" for r in rows):
            raise ValueError("rejected by the database")
        return {r["dedupe_key"] for r in rows}

    writer = GroupWriter(insert)
    gate, committing = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def slow_first(rows):  # hold the first commit so the next three queue into one group
        committing.set()
        gate.wait(5)
        return insert(rows)

    writer.insert = slow_first

    def run(key, content):
        try:
            outcomes[key] = writer.write(_row(key, content=content))
        except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
            outcomes[key] = exc

    first = threading.Thread(target=run, args=("a", "ok"))
    first.start()
    assert committing.wait(5)
    rest = [threading.Thread(target=run, args=(k, c)) for k, c in (("b", "ok"), ("c", "bad"), ("d", "ok"))]
    for t in rest:
        t.start()
    deadline = time.monotonic() + 5
    while len(writer._queue) < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(writer._queue) == 3
    gate.set()
    for t in [first, *rest]:
        t.join()
    assert outcomes["a"] is True and outcomes["b"] is True and outcomes["d"] is True
    assert isinstance(outcomes["c"], ValueError)


@pytest.fixture
def pg_engine(pg_url):
    from tests.conftest import clean_pg
    clean_pg(pg_url)
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def test_postgres_group_insert_round_trips_and_dedupes(pg_engine):
    store = PgStore(pg_engine, wait_seconds=3.5)
    insert = store.insert
    try:
        assert insert([_row("m:1"), _row("m:2")]) == {"m:1": "T-2026-0001", "m:2": "T-2026-0002"}
        assert insert([_row("m:2"), _row("m:3")]) == {"m:3": "T-2026-0003"}  # a retry is neither stored nor numbered twice
        with pg_engine.connect() as conn:
            stored = conn.execute(select(InboundMessage).where(InboundMessage.dedupe_key == "m:1")).one()
        expected = _row("m:1")
        for column in ("openid", "content", "create_time", "raw", "reply", "status"):
            assert getattr(stored, column) == expected[column], column
        assert stored.plan == {**expected["plan"], "number": "T-2026-0001"}
        assert stored.received_at == expected["received_at"]
    finally:
        store.close()


def test_postgres_group_insert_survives_a_connection_broken_while_idle(pg_engine):
    store = PgStore(pg_engine, wait_seconds=3.5)
    insert = store.insert
    try:
        assert set(insert([_row("m:a")])) == {"m:a"}
        pid = store._conn.info.backend_pid
        with pg_engine.connect() as conn:  # the server drops our idle connection (restart, failover, proxy)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        assert set(insert([_row("m:b")])) == {"m:b"}                         # no message lost to a stale connection
        assert store._conn.info.backend_pid != pid
    finally:
        store.close()


def test_numbers_follow_time_across_two_processes_stores(pg_engine):
    """Two app instances (their own stores and connections) interleave requests: numbers keep arrival order."""
    from services.tasks.intake import EngineStore
    stores = [PgStore(pg_engine, wait_seconds=3.5), PgStore(pg_engine, wait_seconds=3.5), EngineStore(pg_engine)]
    got = []
    try:
        for i in range(12):
            store = stores[i % 3]
            numbers = store.insert([_row(f"n:{i}:a", openid=f"u{i}"), _row(f"n:{i}:b", openid=f"v{i}")])
            got += [numbers[f"n:{i}:a"], numbers[f"n:{i}:b"]]
        assert got == [f"T-2026-{n:04d}" for n in range(1, 25)]          # no blocks: 0001, 0002 ... in order
        year = stores[0].insert([_row("n:new-year", plan={"year": 2027, "decision": {}})])
        assert year == {"n:new-year": "T-2027-0001"}                     # a new year starts at 1
    finally:
        for s in stores:
            s.close()


GEVENT_SCRIPT = r"""
from gevent import monkey; monkey.patch_all()
import json, sys, time, gevent
from handlers.fastlane import GroupWriter
groups = []
def insert(rows):
    gevent.sleep(0.005)                       # a commit in flight (cooperative, like psycopg under gevent)
    groups.append(len(rows))
    return {r["dedupe_key"] for r in rows}
w = GroupWriter(insert)
gevent.joinall([gevent.spawn(w.write, {"dedupe_key": f"k{i}"}) for i in range(8)])
together = list(groups)
busy = {"on": True}
def spin():                                   # a loop that is never idle
    while busy["on"]:
        gevent.sleep(0)
spinner = gevent.spawn(spin)
t0 = time.monotonic()
ok = w.write({"dedupe_key": "alone"})
waited = time.monotonic() - t0
busy["on"] = False
spinner.join()
print(json.dumps({"together": together, "ok": ok, "waited": waited}))
"""


def test_gevent_leader_waits_for_an_idle_loop_but_not_forever():
    import json
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", GEVENT_SCRIPT], cwd=root, capture_output=True, text=True,
                         timeout=20, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["together"] == [8]               # eight requests under way: one commit
    assert result["ok"] is True and result["waited"] < 0.5   # a never-idle loop delays a commit by the cap only
