"""Operations: health and readiness, /metrics and its guard, JSON logs with the message key."""
from __future__ import annotations

import json
import logging
from dataclasses import replace

from core.logs import JsonFormatter

REMOTE = {"REMOTE_ADDR": "10.1.2.3"}


def test_json_log_line_has_message_key_and_task(app, wechat, demo, caplog):
    caplog.set_level(logging.INFO, logger="tongxin.webhook")
    wechat.send("任务", user="demo-sec-eye_ent")
    record = next(r for r in caplog.records if r.getMessage() == "message handled")
    line = json.loads(JsonFormatter().format(record))
    assert line["msg_key"].startswith("m:demo-sec-eye_ent:") and line["level"] == "info"
    assert "任务" not in json.dumps(line, ensure_ascii=False)  # no message text at INFO


def test_readyz_reports_database_schema_and_routing(app):
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200
    data = resp.get_json()
    assert {k: data[k] for k in ("database", "schema", "routing", "status")} == \
        {"database": True, "schema": True, "routing": True, "status": "ready"}
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_readyz_is_503_when_the_schema_is_behind(app, session_factory):
    from sqlalchemy import text
    with session_factory() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'an_older_revision'"))
        session.commit()
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["schema"] is False and resp.get_json()["status"] == "not ready"


def test_metrics_count_webhook_requests(app, wechat):
    wechat.send("帮助", user="m1")
    body = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'tongxin_webhook_requests_total{status="200"' in body
    assert "tongxin_webhook_seconds_bucket" in body


def test_metrics_without_a_token_are_served_to_localhost_only(app):
    client = app.test_client()
    remote = client.get("/metrics", environ_base=REMOTE)
    assert remote.status_code == 403 and "METRICS_TOKEN" in remote.get_data(as_text=True)
    assert client.get("/metrics").status_code == 200  # localhost


def test_metrics_need_the_token_when_configured_even_from_localhost(settings, clock):
    from bot import create_app
    app = create_app(replace(settings, metrics_token="s3cret"), clock=clock)
    client = app.test_client()
    try:
        assert client.get("/metrics").status_code == 403  # localhost no longer enough
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"}, environ_base=REMOTE)
        assert ok.status_code == 200 and "# TYPE" in ok.get_data(as_text=True)
    finally:
        app.extensions["tongxin"].close()


def get_health(port: int, proc, seconds: float = 90) -> bytes | None:
    """/healthz of a starting server, polled until it answers, the process exits, or time runs out."""
    import time
    import urllib.request
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
        except OSError:
            time.sleep(0.2)
    return None


def test_serve_with_gevent_patches_before_ssl_is_imported(tmp_path):
    """gevent patches first: no "patched too late" warning, and the master keeps the pid it started with."""
    import socket
    import subprocess
    import sys

    from tests.conftest import ROOT
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "TONGXIN_VAR_DIR": str(tmp_path)}
    args = [sys.executable, "bot.py", "serve", "--port", str(port), "--workers", "1", "--worker-class", "gevent"]
    with open(tmp_path / "stderr.log", "w+") as err:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            health = get_health(port, proc)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        err.seek(0)
        stderr = err.read()
    assert health == b'{"status":"ok"}\n', stderr
    assert "Using worker: gevent" in stderr and f"Listening at: http://127.0.0.1:{port} ({proc.pid})" in stderr
    assert "MonkeyPatchWarning" not in stderr and "Traceback" not in stderr, stderr
