"""The /wechat boundary: signatures, replay window, size, hostile XML, AES, retries, storage."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from bot import create_app
from core.wechat import sign
from models.message import InboundMessage
from tests.conftest import AES_KEY, make_settings
from tests.support.wechat_sim import WeChatSim


def stored(app) -> int:
    with app.extensions["tongxin"].session_factory() as s:
        return s.scalar(select(func.count(InboundMessage.id)))


def test_handshake_echoes_echostr(app, settings):
    ts, nonce = str(int(time.time())), "n1"
    resp = app.test_client().get("/wechat", query_string={
        "signature": sign(settings.wechat.token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "hello123"})
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "hello123"


def test_handshake_with_wrong_signature_is_403(app):
    ts = str(int(time.time()))
    resp = app.test_client().get("/wechat", query_string={"signature": "x" * 40, "timestamp": ts,
                                                           "nonce": "n", "echostr": "e"})
    assert resp.status_code == 403


def test_wrong_signature_is_403_and_stores_nothing(app, wechat):
    reply = wechat.post_xml(wechat.xml("u1", "text", Content="你好", MsgId=1), tamper="signature")
    assert reply.status == 403
    assert stored(app) == 0


@pytest.mark.parametrize("offset", [-310, 310, -3600])  # a margin: the check runs a moment later
def test_timestamp_outside_replay_window_is_403(app, wechat, offset):
    reply = wechat.post_xml(wechat.xml("u1", "text", Content="你好", MsgId=2), timestamp=int(time.time()) + offset)
    assert reply.status == 403
    assert stored(app) == 0


def test_timestamp_inside_window_is_accepted(app, wechat):
    reply = wechat.post_xml(wechat.xml("u1", "text", Content="帮助", MsgId=3), timestamp=int(time.time()) - 200)
    assert reply.status == 200 and "绑定" in reply.content


def test_oversize_body_is_413(app, wechat):
    big = wechat.xml("u1", "text", Content="长" * 30000, MsgId=4)
    assert len(big.encode()) > 65536
    assert wechat.post_xml(big).status == 413
    assert stored(app) == 0


HOSTILE = {
    "malformed": "<xml><ToUserName>a</ToUserName><FromUserName>u",
    "not_xml": "hello there",
    "empty": "",
    "billion_laughs": ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                       '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><FromUserName>&lol2;</FromUserName>'
                       '<MsgType>text</MsgType><Content>x</Content></xml>'),
    "xxe": ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            '<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>'),
    "no_msgtype": "<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>",
    "nested_field": "<xml><FromUserName><a>1</a></FromUserName><MsgType>text</MsgType></xml>",
    "bad_msgid": "<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><MsgId>abc</MsgId></xml>",
    "wrong_root": "<foo><FromUserName>u</FromUserName><MsgType>text</MsgType></foo>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_malformed_xml_is_400_and_stores_nothing(app, wechat, name):
    assert wechat.post_xml(HOSTILE[name]).status == 400
    assert stored(app) == 0


def test_non_utf8_body_is_400(app, wechat):
    ts, nonce = str(int(time.time())), "n"
    resp = wechat.client.post("/wechat", query_string={"signature": sign(wechat.token, ts, nonce),
                                                       "timestamp": ts, "nonce": nonce},
                              data=b"<xml>\xff\xfe</xml>")
    assert resp.status_code == 400


@pytest.mark.pg
def test_retry_gets_same_reply_and_is_stored_once(app, wechat):
    xml = wechat.xml("u-retry", "text", Content="帮助", MsgId=987654321)
    first = wechat.post_xml(xml)
    second = wechat.post_xml(xml)
    third = wechat.post_xml(xml)
    assert first.status == second.status == third.status == 200
    assert first.content == second.content == third.content
    assert stored(app) == 1


@pytest.mark.pg
def test_event_retry_is_deduped_on_sender_time_event_key(app, wechat):
    xml = wechat.xml("u-ev", "event", create_time=1700000000, Event="CLICK", EventKey="HELP")
    assert wechat.post_xml(xml).content == wechat.post_xml(xml).content
    assert stored(app) == 1
    wechat.post_xml(wechat.xml("u-ev", "event", create_time=1700000001, Event="CLICK", EventKey="HELP"))
    assert stored(app) == 2


def test_name_echo_round_trips_cdata_breaker(app, wechat):
    reply = wechat.send("姓名 王]]><x>&amp;😀", user="u-name")
    assert reply == "好的，已将您的姓名登记为「王]]><x>&amp;😀」。"


@pytest.mark.parametrize("mode", ["safe", "compat"])
def test_aes_round_trip(tmp_path, sqlite_url, clock, mode):
    settings = make_settings(tmp_path, sqlite_url, WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID="wx1234567890abcdef")
    app = create_app(settings, clock=clock)
    sim = WeChatSim(app.test_client(), settings.wechat.token, aes_key=AES_KEY,
                    app_id="wx1234567890abcdef", mode=mode)
    reply = sim.post_xml(sim.xml("u-aes", "text", Content="姓名 李]]>四", MsgId=42))
    assert reply.status == 200
    assert "<Encrypt>" in reply.body
    assert reply.content == "好的，已将您的姓名登记为「李]]>四」。"
    assert stored(app) == 1


def test_aes_wrong_msg_signature_is_403(tmp_path, sqlite_url, clock):
    settings = make_settings(tmp_path, sqlite_url, WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID="wxapp")
    app = create_app(settings, clock=clock)
    sim = WeChatSim(app.test_client(), settings.wechat.token, aes_key=AES_KEY, app_id="wxapp", mode="safe")
    assert sim.post_xml(sim.xml("u", "text", Content="x", MsgId=1), tamper="msg_signature").status == 403
    assert stored(app) == 0


def test_aes_wrong_app_id_is_400(tmp_path, sqlite_url, clock):
    settings = make_settings(tmp_path, sqlite_url, WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID="wxright")
    app = create_app(settings, clock=clock)
    sim = WeChatSim(app.test_client(), settings.wechat.token, aes_key=AES_KEY, app_id="wxwrong", mode="safe")
    assert sim.post_xml(sim.xml("u", "text", Content="x", MsgId=1)).status == 400
    assert stored(app) == 0


def test_aes_garbage_ciphertext_is_400(tmp_path, sqlite_url, clock):
    settings = make_settings(tmp_path, sqlite_url, WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID="wxapp")
    app = create_app(settings, clock=clock)
    client = app.test_client()
    for encrypt in ["!!!notbase64!!!", "QUJDRA==", "A" * 64]:
        ts, nonce = str(int(time.time())), "nn"
        params = {"timestamp": ts, "nonce": nonce, "signature": sign(settings.wechat.token, ts, nonce),
                  "encrypt_type": "aes", "msg_signature": sign(settings.wechat.token, ts, nonce, encrypt)}
        resp = client.post("/wechat", query_string=params,
                           data=f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode())
        assert resp.status_code == 400, encrypt
    assert stored(app) == 0


@pytest.mark.pg
def test_all_message_types_are_stored(app, wechat, session_factory):
    wechat.send("你好", user="u-all")
    wechat.voice("我想反映问题", user="u-all")
    wechat.image(user="u-all")
    wechat.post_xml(wechat.xml("u-all", "location", Location_X="23.1", Location_Y="113.2", Scale="15",
                               Label="白沙镇", MsgId=5001))
    wechat.post_xml(wechat.xml("u-all", "link", Title="t", Description="d", Url="http://127.0.0.1/", MsgId=5002))
    wechat.event("subscribe", "u-all")
    wechat.event("subscribe", "u-all2", key="qrscene_NOPE1234")
    wechat.event("SCAN", "u-all", key="NOPE5678", Ticket="tk")
    wechat.event("CLICK", "u-all", key="HELP")
    wechat.event("VIEW", "u-all", key="http://127.0.0.1/")
    wechat.event("TEMPLATESENDJOBFINISH", "u-all", MsgID="200163836", Status="success")
    wechat.event("unsubscribe", "u-all")
    unknown = wechat.post_xml(wechat.xml("u-all", "miniprogrampage", Title="x", MsgId=5003))
    assert unknown.status == 200 and "文字" in unknown.content  # a user's message of any type gets an answer
    with session_factory() as s:
        rows = s.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    kinds = [(r.msg_type, r.event) for r in rows]
    assert ("voice", None) in kinds and ("image", None) in kinds and ("location", None) in kinds
    assert ("link", None) in kinds and ("miniprogrampage", None) in kinds
    for ev in ("subscribe", "scan", "click", "view", "templatesendjobfinish", "unsubscribe"):
        assert ("event", ev) in kinds
    voice = next(r for r in rows if r.msg_type == "voice")
    assert voice.content == "我想反映问题" and voice.raw["Recognition"] == "我想反映问题"
    qr = next(r for r in rows if r.openid == "u-all2")
    assert qr.event_key == "qrscene_NOPE1234"
    assert len(rows) == 13


@pytest.mark.pg
def test_handler_exception_gives_polite_text_and_keeps_message(app, wechat, monkeypatch):
    from handlers import common
    def boom(ctx):
        raise RuntimeError("kaboom")
    monkeypatch.setattr(common, "help_text", boom)
    reply = wechat.send("帮助", user="u-boom")
    assert "抱歉" in reply
    with app.extensions["tongxin"].session_factory() as s:
        row = s.scalars(select(InboundMessage)).one()
    assert row.status == "error" and row.content == "帮助"
