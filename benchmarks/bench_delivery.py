"""Delivery benchmark: two `bot.py worker` processes on PostgreSQL against the fake WeChat API.

Run from the repository root (PostgreSQL must be reachable; a separate database
`tongxin_bench` is created next to the one in the URL so test data is left alone):
    .venv/bin/python benchmarks/bench_delivery.py [--db postgresql://postgres@127.0.0.1:5432/test]
        [--messages 6000] [--workers 2]

Run 1 delivers all messages with both workers. Run 2 kills one worker with SIGKILL
once a third is delivered; the survivor re-queues its leased rows when the lease
expires. The fake server (a subprocess) counts every accepted send: duplicates are
sends of the same message beyond the first, losses are messages never accepted.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PY = sys.executable
APPID, SECRET = "wx-bench", "bench-secret"


def serve_fake(keepalive: bool) -> int:
    """Child mode: the fake API; stdin `count PREFIX` answers {accepted, unique} for template sends.

    With `keepalive` the handler speaks HTTP/1.1 persistent connections, as api.weixin.qq.com
    does; the fake's default is HTTP/1.0, one connection per call (simpler drops for tests).
    """
    from tests.support import fake_wechat_api as fake
    if keepalive:
        plain = fake._make_handler

        def persistent(api):
            handler = plain(api)
            handler.protocol_version = "HTTP/1.1"
            handler.wbufsize = -1  # headers and body in one segment (no Nagle/delayed-ACK stall)
            return handler
        fake._make_handler = persistent
    api = fake.FakeWeChatAPI(appid=APPID, secret=SECRET).start()
    print(api.base_url, flush=True)
    for line in sys.stdin:
        prefix = line.split(maxsplit=1)[1].strip() if " " in line else ""
        sends = [m["json"]["data"]["thing1"]["value"] for m in api.sent_messages()]
        mine = [s for s in sends if s.startswith(prefix)]
        print(json.dumps({"accepted": len(mine), "unique": len(set(mine))}), flush=True)
    api.stop()
    return 0


def bench_db(url: str) -> str:
    """A fresh `tongxin_bench` database on the same server."""
    import psycopg
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tongxin_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE tongxin_bench")
    return f"{base}/tongxin_bench"


def write_config(tmp: Path) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["routing"] = {k: str(ROOT / v) for k, v in data.get("routing", {}).items()}
    data["delivery"]["templates"]["alert"] = {"template_id": "TPL-BENCH", "fields": {"thing1": "{title}"}}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def enqueue(factory, prefix: str, count: int) -> None:
    from core.clock import utcnow
    from models.outbox import OutboxMessage
    now = utcnow()
    rows = [{"to_openid": f"o-{prefix}{i}", "kind": "alert", "text": f"{prefix}{i}", "payload": {},
             "status": "queued", "created_at": now, "next_attempt_at": now, "attempts": 0} for i in range(count)]
    with factory() as session:
        session.execute(OutboxMessage.__table__.insert(), rows)
        session.commit()


def pending(factory, prefix: str) -> int:
    from sqlalchemy import func, select
    from models.outbox import OutboxMessage
    with factory() as session:
        return session.scalar(select(func.count()).where(OutboxMessage.text.like(f"{prefix}%"),
                                                         OutboxMessage.status != "sent"))


class Fake:
    def __init__(self, keepalive: bool) -> None:
        self.proc = subprocess.Popen([PY, __file__, "--serve-fake"] + (["--keepalive"] if keepalive else []), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.base_url = self.proc.stdout.readline().strip()
        self.lock = threading.Lock()

    def count(self, prefix: str) -> dict:
        with self.lock:
            self.proc.stdin.write(f"count {prefix}\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


def run(factory, fake: Fake, env: dict, *, prefix: str, messages: int, workers: int, kill: bool,
        lease: int, log: Path) -> dict:
    procs = [subprocess.Popen([PY, "bot.py", "worker", "--name", f"{prefix}w{i}", "--lease", str(lease)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "a"))
             for i in range(workers)]
    time.sleep(3)  # both workers started and polling an empty outbox
    started = time.monotonic()
    enqueue(factory, prefix, messages)
    killed_at = None
    while pending(factory, prefix):
        if kill and killed_at is None and fake.count(prefix)["unique"] >= messages // 3:
            procs[0].send_signal(signal.SIGKILL)
            killed_at = fake.count(prefix)["unique"]
        if time.monotonic() - started > 600 or all(p.poll() is not None for p in procs):
            raise SystemExit(f"workers stopped or timed out with {pending(factory, prefix)} rows left; see {log}")
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    counts = fake.count(prefix)
    return {"run": "kill -9 one worker mid-run" if kill else "two workers", "messages": messages,
            "seconds": round(elapsed, 2), "msgs_per_s": round(messages / elapsed, 1),
            "accepted_by_fake": counts["accepted"], "duplicates": counts["accepted"] - counts["unique"],
            "losses": messages - counts["unique"], "killed_after": killed_at, "lease_s": lease if kill else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("TONGXIN_TEST_DATABASE_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lease", type=int, default=5, help="lease seconds in the kill run")
    parser.add_argument("--http10", action="store_true",
                        help="fake server closes the connection after each call (its test default)")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keepalive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake:
        return serve_fake(args.keepalive)
    from models.db import create_schema, make_engine, make_session_factory
    url = bench_db(args.db)
    engine = make_engine(url)
    create_schema(engine)
    factory = make_session_factory(engine)
    fake = Fake(keepalive=not args.http10)
    tmp = Path(tempfile.mkdtemp(prefix="tongxin-bench-"))
    env = {**os.environ, "DATABASE_URL": url, "TONGXIN_CONFIG": str(write_config(tmp)),
           "TONGXIN_VAR_DIR": str(tmp), "WECHAT_APP_ID": APPID, "WECHAT_APP_SECRET": SECRET,
           "WECHAT_API_BASE": fake.base_url, "WECHAT_TOKEN": "tongxin-bench",
           "SECRET_KEY": "tongxin-bench-secret-key-0123456789"}
    env.pop("REDIS_URL", None)
    print(f"fake WeChat API {fake.base_url} ({'HTTP/1.0' if args.http10 else 'HTTP/1.1 keep-alive'}); "
          f"database {url}; {args.workers} workers; worker logs {tmp / 'workers.log'}", flush=True)
    try:
        for kill, prefix in ((False, "r1-"), (True, "r2-")):
            result = run(factory, fake, env, prefix=prefix, messages=args.messages, workers=args.workers,
                         kill=kill, lease=args.lease if kill else 60, log=tmp / "workers.log")
            print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        fake.stop()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
