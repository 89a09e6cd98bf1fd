"""Hostile input: 10,000 generated requests and a hypothesis property; never a 5xx, nothing stored when rejected."""
from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot import create_app
from core.wechat import cdata, sign
from models.message import InboundMessage
from tests.conftest import AES_KEY, make_settings
from tests.support.hostile import corpus, field_strategies, field_xml, fullwidth

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


# --- field values: numbers in their column range, ASCII query arguments ------------------------

BIGINT_MAX = 2**63 - 1
NUMERIC = ("CreateTime", "MsgId", "MsgID")


def number_ok(value: str | None) -> bool:
    """Absent or empty (the parser reads an empty element as absent), or ASCII digits in the column range."""
    return not value or (re.fullmatch(r"[0-9]{1,19}", value) is not None and int(value) <= BIGINT_MAX)


def query_ok(ts: str | None, nonce: str | None) -> bool:
    return (ts is not None and re.fullmatch(r"[0-9]+", ts) is not None and abs(int(ts) - time.time()) < 250
            and nonce is not None and re.fullmatch(r"[\x21-\x7e]{1,128}", nonce) is not None)


@pytest.fixture
def safe_app(tmp_path, db_url, clock):
    """A safe-mode-capable app on SQLite and PostgreSQL, with bound demo people (the fast lane takes their text)."""
    from services.demo import seed as demo
    from services.org import structure as org
    settings = make_settings(tmp_path, db_url, WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID)
    app = create_app(settings, clock=clock)
    with app.extensions["tongxin"].session_factory() as s:
        org.sync_org(s, settings)
        demo.seed(s, settings, now=clock())
        s.commit()
    yield app, settings
    app.extensions["tongxin"].close()


def post_fields(app, settings, user: str, fields: dict, ts: str | None, nonce: str | None, safe: bool,
                signature: str | None = None):
    """Signed exactly as WeChat signs (over whatever timestamp and nonce are given), plain or AES safe mode."""
    token = settings.wechat.token
    xml = field_xml(user, fields)
    query = {k: v for k, v in (("timestamp", ts), ("nonce", nonce)) if v is not None}
    query["signature"] = signature or sign(token, ts or "", nonce or "")
    body = xml
    if safe:
        envelope = WeChatCrypto(token, AES_KEY, APP_ID).encrypt_message(xml, "n0", str(int(time.time())))
        encrypt = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        query.update(encrypt_type="aes", msg_signature=sign(token, ts or "", nonce or "", encrypt))
        body = f"<xml><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
    return app.test_client().post("/wechat", query_string=query, data=body.encode("utf-8"), content_type="text/xml")


def member_of(settings) -> str:
    return f"demo-member-{settings.consortia[0].units[0].code}"


NOW = int(time.time())
FIELDS = field_strategies(NOW)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.fixed_dictionaries({k: v for k, v in FIELDS.items() if k not in ("timestamp", "nonce")}),
       ts=FIELDS["timestamp"], nonce=FIELDS["nonce"], safe=st.booleans(),
       user=st.sampled_from(["demo-office-linxi", "stranger-1", "MEMBER"]) | st.text(min_size=1, max_size=80))
def test_no_field_value_reaches_a_500_and_rejections_store_nothing(safe_app, fields, ts, nonce, safe, user):
    app, settings = safe_app
    user = member_of(settings) if user == "MEMBER" else user
    before = count(app)
    resp = post_fields(app, settings, user, fields, ts, nonce, safe)
    assert resp.status_code < 500
    if not query_ok(ts, nonce):
        assert resp.status_code == 403
    elif not all(number_ok(fields[k]) for k in NUMERIC):
        assert resp.status_code == 400
    if resp.status_code != 200:
        assert count(app) == before


NOW_S = str(NOW)
TEXT = "内科门诊的排班能不能调整一下，最近病人很多等候太久"


HOSTILE_VALUES = [  # (label, fields, timestamp, nonce, signature, expected status)
    ("msgid_2^64", {"MsgId": str(2**64)}, None, "n1", None, 400),
    ("msgid_2^63", {"MsgId": str(2**63)}, None, "n1", None, 400),
    ("createtime_huge", {"CreateTime": "9" * 30}, None, "n1", None, 400),
    ("msgid_fullwidth", {"MsgId": fullwidth("12345")}, None, "n1", None, 400),
    ("msgid_signed", {"MsgId": "+12345"}, None, "n1", None, 400),
    ("template_msgid_huge", {"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": str(2**70)},
     None, "n1", None, 400),
    ("msgtype_too_long", {"MsgType": "t" * 33}, None, "n1", None, 400),
    ("event_too_long", {"MsgType": "event", "Event": "e" * 65}, None, "n1", None, 400),
    ("timestamp_fullwidth", {}, fullwidth(NOW_S), "n1", None, 403),
    ("timestamp_signed", {}, f"+{NOW_S}", "n1", None, 403),
    ("nonce_empty", {}, None, "", None, 403),
    ("nonce_missing", {}, None, None, None, 403),
    ("nonce_not_ascii", {}, None, "密", None, 403),
    ("signature_not_ascii", {}, None, "n1", "é" * 40, 403),
    ("msgid_max_ok", {"MsgId": str(2**63 - 1)}, None, "n1", None, 200),
]


def test_hostile_values_are_refused_before_anything_is_stored(safe_app):
    """Each named value, plain and safe mode, to a bound member's fast lane: the status, and nothing stored."""
    app, settings = safe_app
    wrong = []
    for safe in (False, True):
        for label, fields, ts, nonce, signature, status in HOSTILE_VALUES:
            base = {"CreateTime": NOW_S, "MsgType": "text", "Content": TEXT, "MsgId": str(NOW * 1000)}
            if status == 200:  # a new message in each mode, not a retry of the first
                fields = {"MsgId": str(int(fields["MsgId"]) - safe)}
            before = count(app)
            resp = post_fields(app, settings, member_of(settings), {**base, **fields},
                               ts or str(int(time.time())), nonce, safe, signature)
            if resp.status_code != status or count(app) != before + (status == 200):
                wrong.append((label, "safe" if safe else "plain", resp.status_code, count(app) - before))
    assert wrong == []
