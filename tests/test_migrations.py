"""Alembic migrations and the models agree; upgrade is idempotent; readiness reports the schema."""
from __future__ import annotations

from models.db import create_schema, make_engine
from models.migrate import current, differences, head


def test_migrations_match_models(db_url):
    engine = make_engine(db_url)
    create_schema(engine)
    assert current(engine) == head()
    assert differences(engine) == []
    create_schema(engine)  # a second run changes nothing
    assert current(engine) == head()
    engine.dispose()


def test_readyz_reports_database_schema_and_routing(app):
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200
    data = resp.get_json()
    assert {k: data[k] for k in ("database", "schema", "routing", "status")} == \
        {"database": True, "schema": True, "routing": True, "status": "ready"}
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_metrics_count_webhook_requests(app, wechat):
    wechat.send("帮助", user="m1")
    body = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'tongxin_webhook_requests_total{status="200"' in body
    assert "tongxin_webhook_seconds_bucket" in body
