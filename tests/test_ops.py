"""Operations: JSON logs carry the message key and task number; /metrics is guarded."""
from __future__ import annotations

import json
import logging

from core.logs import JsonFormatter


def test_json_log_line_has_message_key_and_task(app, wechat, demo, caplog):
    caplog.set_level(logging.INFO, logger="tongxin.webhook")
    wechat.send("任务", user="demo-sec-eye_ent")
    record = next(r for r in caplog.records if r.getMessage() == "message handled")
    line = json.loads(JsonFormatter().format(record))
    assert line["msg_key"].startswith("m:demo-sec-eye_ent:") and line["level"] == "info"
    assert "任务" not in json.dumps(line, ensure_ascii=False)  # no message text at INFO


def test_metrics_need_token_when_configured(app, monkeypatch):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert client.get("/metrics").status_code == 200  # localhost


def test_metrics_token(settings, clock):
    from dataclasses import replace

    from bot import create_app
    app = create_app(replace(settings, metrics_token="s3cret"), clock=clock)
    client = app.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    app.extensions["tongxin"].close()
