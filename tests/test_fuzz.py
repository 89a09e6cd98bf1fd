"""Hostile input: 10,000 generated requests and a hypothesis property; never a 5xx, nothing stored when rejected."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from bot import create_app
from core.wechat import sign
from models.message import InboundMessage
from tests.conftest import AES_KEY, make_settings
from tests.support.hostile import corpus

APP_ID = "wxfuzz000000000001"


def count(app) -> int:
    with app.extensions["tongxin"].session_factory() as s:
        return s.scalar(select(func.count(InboundMessage.id)))


def test_ten_thousand_hostile_requests(tmp_path, sqlite_url, clock):
    settings = make_settings(tmp_path, sqlite_url, WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID)
    app = create_app(settings, clock=clock)
    client = app.test_client()
    statuses, wrong = Counter(), []
    accepted = 0
    for label, query, body, expect in corpus(10_000, settings.wechat.token, AES_KEY, APP_ID):
        resp = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
        statuses[resp.status_code] += 1
        if resp.status_code != expect:
            wrong.append((label, expect, resp.status_code))
        accepted += resp.status_code == 200
    assert not [s for s in statuses if s >= 500], statuses
    assert wrong == [], wrong[:10]
    assert count(app) == accepted  # every rejected request stored nothing; every accepted one once
    # the app still answers normally afterwards
    ts, nonce = str(int(time.time())), "n"
    ok = client.get("/wechat", query_string={"signature": sign(settings.wechat.token, ts, nonce),
                                             "timestamp": ts, "nonce": nonce, "echostr": "alive"})
    assert ok.get_data(as_text=True) == "alive"
    app.extensions["tongxin"].close()


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
       encrypt=st.booleans())
@pytest.mark.pg
def test_any_body_with_valid_signature_never_5xx(app, settings, body, encrypt):
    ts, nonce = str(int(time.time())), "fz"
    query = {"timestamp": ts, "nonce": nonce, "signature": sign(settings.wechat.token, ts, nonce)}
    if encrypt:
        query.update(encrypt_type="aes", msg_signature="0" * 40)
    before = count(app)
    resp = app.test_client().post("/wechat", query_string=query, data=body)
    assert resp.status_code < 500
    if resp.status_code != 200:
        assert count(app) == before
