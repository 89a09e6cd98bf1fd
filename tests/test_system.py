"""Two web workers, two outbox workers and two schedulers on PostgreSQL under load: nothing lost, nothing twice.

Real processes (`python bot.py serve|worker|scheduler`), real HTTP from WeChat-like senders,
the fake WeChat API counting what reaches it.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
import yaml
from sqlalchemy import func, select

from core.wechat import cdata, sign
from models.db import make_engine, make_session_factory
from models.message import InboundMessage
from models.outbox import OutboxMessage
from models.task import Task
from tests.conftest import ROOT, clean_pg
from tests.support.fake_wechat_api import FakeWeChatAPI

TOKEN = "system-test-token"
MEMBERS = ["demo-member-BSZ", "demo-member-QSZ", "demo-member-HTX", "demo-member-LSX", "demo-member-CNSQ"]
TEXTS = ["产科胎心监护仪不会用，想请县医院妇产科来培训", "我们的B超机坏了开不了机，麻烦后勤来修一下",
         "想请眼科专家来村里做一次白内障筛查", "高血压病人血压控制不好，想请内科会诊调整用药"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp_path) -> str:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["routing"] = {"rules": str(ROOT / "routing/rules.yaml"), "user_dict": str(ROOT / "routing/userdict.txt")}
    due = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=2)).strftime("%H:%M")
    data["schedules"] = [{"name": "system_check", "to": "secretaries", "period": "day", "consortium": "linxi",
                          "when": {"day": "*", "time": due, "fire_on": "any"},
                          "text": "【系统测试】{branch}：{date} 的提醒"}]
    data["tasks"]["burst_minutes"] = 1e-7  # 240 distinct requests from five members within seconds: no bursts
    data["tasks"]["same_matter_hours"] = 1e-9  # nor a "same matter?" question after the demo acceptances
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def _post(port: int, user: str, text: str, msg_id: int) -> tuple[int, str]:
    ts, nonce = str(int(time.time())), str(msg_id % 10**9)
    xml = (f"<xml><ToUserName>{cdata('gh_sys')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
           f"<CreateTime>{ts}</CreateTime><MsgType>{cdata('text')}</MsgType><Content>{cdata(text)}</Content>"
           f"<MsgId>{msg_id}</MsgId></xml>")
    resp = requests.post(f"http://127.0.0.1:{port}/wechat", data=xml.encode(), timeout=10,
                         params={"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce})
    return resp.status_code, resp.text


def _wait(predicate, seconds: float = 120.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_two_of_everything_under_load(tmp_path, pg_url):
    clean_pg(pg_url)
    api = FakeWeChatAPI().start()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": pg_url, "TONGXIN_VAR_DIR": str(tmp_path),
           "TONGXIN_CONFIG": _config(tmp_path), "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": "wxsystemtest",
           "WECHAT_APP_SECRET": "system-secret", "WECHAT_API_BASE": api.base_url, "LOG_LEVEL": "WARNING",
           "SECRET_KEY": "system-test-secret-key-0123456789abcdef"}
    run = lambda *args: subprocess.Popen([sys.executable, "bot.py", *args], cwd=ROOT, env=env,  # noqa: E731
                                         stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{args[0]}.log", "a"),
                                         start_new_session=True)
    subprocess.run([sys.executable, "bot.py", "init-db", "--demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = _port()
    procs = [run("serve", "--port", str(port), "--workers", "2", "--intake", "worker")]
    try:
        assert _wait(lambda: _up(port), 60), (tmp_path / "serve.log").read_text()[-2000:]
        engine = make_engine(pg_url)
        factory = make_session_factory(engine)
        secretaries = [f"demo-sec-{b}" for b in ("admin", "internal", "surgery", "maternal", "nursing", "medtech",
                                                  "eye_ent", "emergency", "public_health", "logistics")]
        staff = secretaries + ["demo-office-linxi"]
        for i, sec in enumerate(staff):  # inside the 48-hour window, so custom messages are allowed
            assert _post(port, sec, "帮助", 5_000_000 + i)[0] == 200
        with factory() as s:
            seeded = s.scalar(select(func.count(Task.id)))  # init-db --demo seeds a month of requests
        procs += [run("worker", "--name", "w1"), run("worker", "--name", "w2"), run("scheduler"), run("scheduler")]
        jobs = [(MEMBERS[i % len(MEMBERS)], f"{TEXTS[i % len(TEXTS)]}（第{i}号）", 6_000_000 + i) for i in range(240)]
        jobs += jobs[::12]  # WeChat retries some messages
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda j: _post(port, *j), jobs))
        assert Counter(status for status, _ in results) == {200: len(jobs)}
        assert all(re.search(r"T-\d{4}-\d{4}", body) for _, body in results), \
            [body for _, body in results if not re.search(r"T-\d{4}-\d{4}", body)][:3]
        with factory() as s:
            assert s.scalar(select(func.count(InboundMessage.id))) == 240 + len(staff)

        seen: dict = {}

        def settled() -> bool:
            with factory() as s:
                tasks = s.scalar(select(func.count(Task.id)))
                pending = s.scalar(select(func.count(OutboxMessage.id))
                                   .where(OutboxMessage.status.in_(("queued", "sending"))))
                reminders = s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "reminder"))
                seen.update(tasks=tasks, pending=pending, reminders=reminders,
                            statuses=dict(Counter(s.scalars(select(OutboxMessage.status)).all())))
            return tasks == seeded + 240 and pending == 0 and reminders >= len(secretaries)
        logs = lambda: {p.name: p.read_text()[-1500:] for p in tmp_path.glob("*.log")}  # noqa: E731
        assert _wait(settled, 150), (seen, logs())
        with factory() as s:
            rows = s.scalars(select(OutboxMessage)).all()
            assert {r.status for r in rows} == {"sent"}
            reminders = [r for r in rows if r.kind == "reminder"]
            assert len(reminders) == len(secretaries)  # two schedulers, queued once per secretary
            replied = {re.search(r"T-\d{4}-\d{4}", body).group(0) for _, body in results}
            assert len(replied) == 240  # retries got the same number as the first delivery
            assert set(s.scalars(select(Task.number).where(Task.number.in_(replied))).all()) == replied
        sent = [(m["json"]["touser"], str(m["json"])) for m in api.sent_messages()]
        assert len(sent) == len(rows) and len(set(sent)) == len(sent)  # every row delivered once
        engine.dispose()
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        api.stop()


def _up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False
