"""Outbox delivery against the fake WeChat API over real HTTP, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.config import load_settings
from core.token_store import MemoryTokenStore, SqlTokenStore
from core.wechat_client import make_wechat_client
from models.db import make_engine, make_session_factory
from models.delivery import DeliveryAttempt
from models.outbox import OutboxMessage
from services.messages import outbox as outbox_svc
from services.tasks import stats
from services.messages.delivery import claim, run_once
from tests.conftest import REDIS_URL, ROOT, need_service, with_credentials
from tests.support.fake_wechat_api import FakeWeChatAPI

APPID, SECRET = "wx-tongxin-test", "test-secret"
MEMBER, EYE = "demo-member-BSZ", "demo-sec-eye_ent"
TEMPLATES = {"task_update": {"template_id": "TPL-UPDATE", "fields": {"thing1": "{title}",
                                                                     "character_string2": {"value": "{task}", "max": 32}}},
             "alert": {"template_id": "TPL-ALERT", "fields": {"thing1": "{title}", "time2": "{time}"}},
             "reply": {"template_id": ""}}


def delivery_settings(tmp_path, url, base, **delivery):
    env = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": url, "WECHAT_APP_ID": APPID,
           "WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE": base}
    return load_settings(environ=with_credentials(env), overrides={"delivery": {"templates": TEMPLATES, "max_attempts": 3,
                                                               **delivery}})


@pytest.fixture
def api():
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as server:
        yield server


@pytest.fixture
def settings(tmp_path, db_url, api):
    return delivery_settings(tmp_path, db_url, api.base_url)


@pytest.fixture
def conf(settings):
    return settings.delivery


@pytest.fixture
def client(settings):
    return make_wechat_client(settings, MemoryTokenStore(APPID), timeout=1)


@pytest.fixture
def session_factory(settings):
    """The database without the app (no routing dictionary to load); tests that chat add `wechat`."""
    from models.db import create_schema
    engine = make_engine(settings.database_url)
    create_schema(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def deliver(session_factory, client, conf, clock, settings):
    """Run one worker pass at the test clock; returns the counts."""
    rng = random.Random(7)
    return lambda worker="w1", api=client: run_once(session_factory, api, conf, worker=worker, clock=clock,
                                                    rng=rng, sandbox=settings.sandbox)


def queue(session_factory, clock, to="o-user", kind="task_update", text="您的诉求 T-2026-0001 已接单", **payload):
    with session_factory() as s:
        row = outbox_svc.enqueue(s, to, kind, text, now=clock(), sandbox=False, payload=payload or None)
        s.commit()
        return row.id


def row(session_factory, outbox_id) -> tuple[OutboxMessage, list[DeliveryAttempt]]:
    with session_factory() as s:
        attempts = s.scalars(select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id)
                             .order_by(DeliveryAttempt.id)).all()
        return s.get(OutboxMessage, outbox_id), list(attempts)


@pytest.mark.pg
def test_custom_message_inside_the_window_is_sent_once(wechat, api, deliver, session_factory, clock):
    wechat.send("帮助", user="o-user")  # the user wrote: the 48-hour window is open
    oid = queue(session_factory, clock)
    assert deliver()["sent"] == 1
    assert deliver()["claimed"] == 0
    [sent] = api.sent_messages()
    assert sent["path"] == "message/custom/send"
    assert sent["json"] == {"touser": "o-user", "msgtype": "text", "text": {"content": "您的诉求 T-2026-0001 已接单"}}
    msg, attempts = row(session_factory, oid)
    assert (msg.status, msg.channel, msg.attempts, msg.sent_at) == ("sent", "custom", 1, clock.now)
    assert [(a.api, a.errcode, a.outcome) for a in attempts] == [("custom", 0, "sent")]


def test_outside_the_window_goes_as_template_with_msgid(wechat, api, deliver, session_factory, clock):
    wechat.send("帮助", user="o-user")
    clock.now += timedelta(hours=49)
    oid = queue(session_factory, clock, text="您的诉求 T-2026-0001 已办结。\n处理说明：已修好", task="T-2026-0001")
    deliver()
    [sent] = api.sent_messages()
    assert sent["path"] == "message/template/send"
    assert sent["json"]["template_id"] == "TPL-UPDATE"
    assert sent["json"]["data"] == {"thing1": {"value": "您的诉求 T-2026-0001 已办…"},  # 20 chars max
                                    "character_string2": {"value": "T-2026-0001"}}
    msg, _ = row(session_factory, oid)
    assert (msg.status, msg.channel, msg.wechat_msgid) == ("sent", "template", str(sent["response"]["msgid"]))


def test_window_closed_or_quota_used_falls_back_to_template(wechat, api, deliver, session_factory, clock):
    for code in (45015, 45047):
        wechat.send("帮助", user=f"o-{code}")
        api.fail_next("message/custom/send", code)
        oid = queue(session_factory, clock, to=f"o-{code}")
        assert deliver()["sent"] == 1
        msg, attempts = row(session_factory, oid)
        assert (msg.status, msg.channel) == ("sent", "template")
        assert [(a.api, a.errcode, a.outcome) for a in attempts] == [("custom", code, "fallback"),
                                                                     ("template", 0, "sent")]
    assert [c["path"] for c in api.calls if c["path"] != "stable_token"] == [
        "message/custom/send", "message/template/send"] * 2


def test_no_window_and_no_template_is_undeliverable_with_reason(api, deliver, session_factory, clock):
    oid = queue(session_factory, clock, kind="reply", text="迟到的回复")
    assert deliver()["undeliverable"] == 1
    assert api.sent_messages() == []
    msg, attempts = row(session_factory, oid)
    assert msg.status == "undeliverable" and "未为「reply」配置模板消息" in msg.last_error
    assert [(a.api, a.outcome) for a in attempts] == [("none", "undeliverable")]
    with session_factory() as s:
        assert stats.undelivered_count(s) == 1


FAULTS = {"-1": lambda api, path: api.fail_next(path, -1), "45009": lambda api, path: api.fail_next(path, 45009),
          "http500": lambda api, path: api.fail_next_http(path, 500), "drop": lambda api, path: api.drop_next(path),
          "timeout": lambda api, path: api.delay_next(path, 1.3)}  # the client waits 1 s


@pytest.mark.pg
def test_transient_errors_back_off_with_jitter_then_deliver(api, deliver, session_factory, clock):
    ids = {}
    for fault, inject in FAULTS.items():
        inject(api, "message/template/send")
        ids[fault] = queue(session_factory, clock, to=f"o-{fault}")
        assert deliver()["retry"] == 1, fault
        msg, [attempt] = row(session_factory, ids[fault])
        assert msg.status == "queued" and msg.last_error, fault
        assert timedelta(seconds=15) <= msg.next_attempt_at - clock.now <= timedelta(seconds=30)  # 30 s, jitter
        assert attempt.errcode == {"-1": -1, "45009": 45009, "http500": 500}.get(fault)
    assert deliver()["claimed"] == 0  # not due yet
    clock.now += timedelta(seconds=31)
    assert deliver()["sent"] == len(FAULTS)
    for oid in ids.values():
        msg, attempts = row(session_factory, oid)
        assert (msg.status, msg.attempts, [a.outcome for a in attempts]) == ("sent", 2, ["retry", "sent"])


def test_transient_errors_stop_at_the_attempt_limit(api, deliver, session_factory, clock):
    api.fail_next("message/template/send", -1, times=None)
    oid = queue(session_factory, clock)
    for _ in range(4):
        deliver()
        clock.now += timedelta(hours=2)
    msg, attempts = row(session_factory, oid)
    assert (msg.status, msg.attempts) == ("failed", 3)
    assert "3 次尝试均失败" in msg.last_error
    assert [a.outcome for a in attempts] == ["retry", "retry", "failed"]
    assert len(api.calls_to("message/template/send")) == 3


def test_permanent_errors_stop_at_once(api, deliver, session_factory, clock):
    ids = {}
    for code in (43004, 40003, 43101):
        api.set_rule(f"o-{code}", code)
        ids[code] = queue(session_factory, clock, to=f"o-{code}")
    assert deliver()["failed"] == 3
    clock.now += timedelta(days=1)
    assert deliver()["claimed"] == 0
    for code, oid in ids.items():
        msg, [attempt] = row(session_factory, oid)
        assert (msg.status, attempt.errcode, attempt.outcome) == ("failed", code, "failed")
        assert str(code) in msg.last_error


def test_rejected_token_is_refreshed_once_and_the_call_retried_once(api, deliver, session_factory, clock):
    queue(session_factory, clock)
    deliver()
    for spoil in (api.expire_tokens, api.invalidate_tokens):
        spoil()
        queue(session_factory, clock)
        assert deliver()["sent"] == 1
    codes = [c["response"]["errcode"] for c in api.calls_to("message/template/send")]
    assert codes == [0, 42001, 0, 40001, 0]
    assert len(api.calls_to("stable_token")) == 3


def test_token_refused_again_is_not_retried_in_a_loop(api, deliver, session_factory, clock):
    api.fail_next("message/template/send", 40001, times=None)
    oid = queue(session_factory, clock)
    assert deliver()["retry"] == 1
    assert len(api.calls_to("message/template/send")) == 2  # the call, one retry after one refresh
    assert len(api.calls_to("stable_token")) <= 3
    assert row(session_factory, oid)[0].status == "queued"


def test_undelivered_task_notice_tells_the_secretary(wechat, demo, api, deliver, session_factory, clock):
    number = re.search(r"T-\d{4}-\d{4}", wechat.send("我们想请眼科专家来做白内障筛查", user=MEMBER)).group(0)
    wechat.send(f"接单 {number}", user=EYE)
    api.set_rule(MEMBER, 43004)  # the member unfollowed the account
    with session_factory() as s:  # only the notice to the requester is due now
        s.execute(OutboxMessage.__table__.update().where(OutboxMessage.to_openid != MEMBER)
                  .values(status="sent"))
        s.commit()
    assert deliver()["failed"] == 1
    with session_factory() as s:
        [alert] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")).all()
    assert alert.to_openid == EYE and alert.status == "queued"
    assert number in alert.text and "未能送达" in alert.text and "43004" in alert.text
    assert deliver()["sent"] == 1  # the secretary wrote within 48 hours: customer-service message
    assert api.sent_messages()[-1]["json"]["touser"] == EYE


@pytest.mark.pg
def test_worker_killed_mid_batch_is_retried_after_the_lease(api, deliver, session_factory, clock, conf):
    ids = [queue(session_factory, clock, to=f"o-{i}") for i in range(3)]
    with session_factory() as s:  # a worker claims, then dies before sending
        assert len(claim(s, now=clock(), worker="dead", conf=conf)) == 3
        s.commit()
    assert deliver("w2")["claimed"] == 0  # leased
    clock.now += timedelta(seconds=conf.lease_seconds + 1)
    counts = deliver("w2")
    assert (counts["recovered"], counts["sent"]) == (3, 3)
    assert sorted(m["json"]["touser"] for m in api.sent_messages()) == ["o-0", "o-1", "o-2"]
    msg, attempts = row(session_factory, ids[0])
    assert (msg.attempts, [a.api for a in attempts]) == (2, ["lease", "template"])
    assert "dead" in attempts[0].message and attempts[0].outcome == "retry"


def test_two_workers_on_postgresql_claim_each_row_once(tmp_path, api, pg_url):
    from tests.conftest import clean_pg
    clean_pg(pg_url)
    settings = delivery_settings(tmp_path, pg_url, api.base_url, batch_size=20)
    conf, engines = settings.delivery, [make_engine(pg_url) for _ in range(2)]
    factories = [make_session_factory(e) for e in engines]
    from core.clock import utcnow
    now = utcnow()
    with factories[0]() as s:
        for i in range(300):
            outbox_svc.enqueue(s, f"o-{i}", "alert", f"通知 {i}", now=now, sandbox=False)
        s.commit()
    clients = [make_wechat_client(settings, SqlTokenStore(APPID, e)) for e in engines]
    barrier, totals = threading.Barrier(2), []

    def work(i):
        barrier.wait()
        sent = 0
        while (counts := run_once(factories[i], clients[i], conf, worker=f"w{i}", clock=utcnow))["claimed"]:
            sent += counts["sent"]
        totals.append(sent)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    received = sorted(m["json"]["touser"] for m in api.sent_messages())
    assert received == sorted(f"o-{i}" for i in range(300))  # none lost, none twice
    assert sum(totals) == 300 and all(totals)  # both workers did some of it
    assert len(api.calls_to("stable_token")) == 1  # one token for both
    with factories[0]() as s:
        assert set(s.scalars(select(OutboxMessage.attempts))) == {1}
    [e.dispose() for e in engines]


TOKEN_SCRIPT = """
import sys; sys.path.insert(0, {root!r})
from core.config import load_settings
from core.token_store import make_token_store
from core.wechat_client import make_wechat_client
from models.db import make_engine
env = {env!r}
settings = load_settings(environ=env)
store = make_token_store(settings.wechat.app_id, engine=make_engine(settings.database_url),
                         redis_url=settings.redis_url)
print(make_wechat_client(settings, store).access_token)
"""


def token_env(tmp_path, api, url):
    return with_credentials({"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": url, "WECHAT_APP_ID": APPID,
                             "WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE": api.base_url})


def test_token_is_shared_between_two_processes_via_postgresql(api, pg_url, tmp_path):
    from tests.conftest import clean_pg
    clean_pg(pg_url)
    assert_one_token_for_two_processes(api, token_env(tmp_path, api, pg_url))


def test_token_is_shared_between_two_processes_via_redis(api, tmp_path):
    need_service("Redis (TONGXIN_TEST_REDIS_URL)", bool(REDIS_URL))
    import redis
    redis.Redis.from_url(REDIS_URL).delete(f"tongxin:wechat_token:{APPID}")
    env = token_env(tmp_path, api, f"sqlite:///{tmp_path / 'unused.db'}")
    assert_one_token_for_two_processes(api, {**env, "REDIS_URL": REDIS_URL})


def assert_one_token_for_two_processes(api, env):
    api.delay_next("stable_token", 0.5)  # the first fetch is slow: the other process waits on the lock
    script = TOKEN_SCRIPT.format(root=str(ROOT), env=env)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    tokens = [p.communicate(timeout=30)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert tokens[0] == tokens[1] and tokens[0].startswith("FAKE-STABLE-")
    assert len(api.calls_to("stable_token")) == 1


def test_token_is_refreshed_early_under_the_lock(api, session_factory):
    engine = session_factory.kw["bind"]
    now = [1_000_000.0]
    first = SqlTokenStore(APPID, engine, margin=300, clock=lambda: now[0])
    other = SqlTokenStore(APPID, engine, margin=300, clock=lambda: now[0])
    fetches = []
    fetch = lambda force: (fetches.append(force) or f"tok-{len(fetches)}", 7200)  # noqa: E731
    assert first.get(fetch) == other.get(fetch) == "tok-1"
    now[0] += 7200 - 299  # inside the margin: refresh before WeChat expires it
    assert first.get(fetch) == "tok-2" and other.get(fetch) == "tok-2"
    assert other.refresh(fetch, "tok-1") == "tok-2"  # someone already replaced the bad token
    assert other.refresh(fetch, "tok-2") == "tok-3" and fetches == [False, False, False]


@pytest.mark.pg
def test_cli_worker_once_and_failed_list(wechat, api, session_factory, clock, settings, monkeypatch, capsys):
    from bot import main
    for key, value in with_credentials({"DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(settings.var_dir),
                                        "WECHAT_APP_ID": APPID, "WECHAT_APP_SECRET": SECRET,
                                        "WECHAT_API_BASE": api.base_url}).items():
        monkeypatch.setenv(key, value)
    api.set_rule("o-gone", 43004)
    wechat.send("帮助", user="o-gone")  # config.yaml has no template ids: custom messages only
    wechat.send("帮助", user="o-here")
    queue(session_factory, clock, to="o-gone", kind="alert")
    queue(session_factory, clock, to="o-here", kind="alert", text="正常通知")
    capsys.readouterr()
    assert main(["worker", "--once"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["claimed"], out["sent"], out["failed"]) == (2, 1, 1)
    assert main(["outbox", "list", "--json", "--status", "failed"]) == 0
    [failed] = json.loads(capsys.readouterr().out)
    assert failed["to"] == "o-gone" and failed["status"] == "failed" and "43004" in failed["last_error"]


def test_sandbox_keeps_messages_in_the_outbox(tmp_path, monkeypatch, capsys):
    from bot import main
    from models.db import create_schema
    settings = load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path),
                                      "DATABASE_URL": f"sqlite:///{tmp_path / 'sb.db'}"})
    engine = make_engine(settings.database_url)
    create_schema(engine)
    factory = make_session_factory(engine)
    from core.clock import utcnow
    with factory() as s:
        outbox_svc.enqueue(s, "o-1", "alert", "测试", now=utcnow(), sandbox=settings.sandbox)
        s.commit()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    for key in ("WECHAT_APP_ID", "WECHAT_APP_SECRET"):
        monkeypatch.delenv(key, raising=False)
    assert main(["worker", "--once"]) == 0
    assert json.loads(capsys.readouterr().out)["sandbox"] is True
    with factory() as s:
        assert [m.status for m in s.scalars(select(OutboxMessage))] == ["sandbox"]


def test_sqlite_allows_one_worker_at_a_time(tmp_path, monkeypatch, capsys):
    import fcntl
    from bot import main
    for key, value in with_credentials({"DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}",
                                        "TONGXIN_VAR_DIR": str(tmp_path), "WECHAT_APP_ID": APPID,
                                        "WECHAT_APP_SECRET": SECRET,
                                        "WECHAT_API_BASE": "http://127.0.0.1:9/cgi-bin/"}).items():
        monkeypatch.setenv(key, value)
    with open(tmp_path / "worker.lock", "w") as held:  # another worker is running
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(["worker", "--once"]) == 1
    assert "another worker" in capsys.readouterr().err


@pytest.mark.pg
def test_lease_expired_at_the_attempt_limit_fails(api, session_factory, clock, conf):
    from services.messages.delivery import recover_expired
    oid = queue(session_factory, clock)
    for _ in range(conf.max_attempts):  # a message that kills its worker every time
        with session_factory() as s:
            assert len(claim(s, now=clock(), worker="crashing", conf=conf)) == 1
            s.commit()
        clock.now += timedelta(seconds=conf.lease_seconds + 1)
        with session_factory() as s:
            recover_expired(s, now=clock(), worker="w2", conf=conf)
            s.commit()
    msg, attempts = row(session_factory, oid)
    assert (msg.status, msg.attempts) == ("failed", conf.max_attempts)
    assert [a.outcome for a in attempts] == ["retry"] * (conf.max_attempts - 1) + ["failed"]


def test_template_delivery_report_marks_blocked_message(app, wechat, session_factory, clock):
    """TEMPLATESENDJOBFINISH with a failure marks the template row undeliverable; success leaves it sent."""
    from models.outbox import OutboxMessage
    with session_factory() as s:
        for msgid, to in (("9001", "o-blocked"), ("9002", "o-fine")):
            s.add(OutboxMessage(to_openid=to, kind="reminder", text="提醒", payload={}, status="sent",
                                created_at=clock(), channel="template", wechat_msgid=msgid, sent_at=clock()))
        s.commit()
    wechat.event("TEMPLATESENDJOBFINISH", "o-blocked", MsgID="9001", Status="failed:user block")
    wechat.event("TEMPLATESENDJOBFINISH", "o-fine", MsgID="9002", Status="success")
    with session_factory() as s:
        rows = {r.wechat_msgid: r for r in s.scalars(select(OutboxMessage)).all()}
    assert rows["9001"].status == "undeliverable" and "user block" in rows["9001"].last_error
    assert rows["9002"].status == "sent"
