"""A deterministic corpus of hostile webhook requests, of every class WeChat's servers never send.

`corpus(n, token, aes_key, app_id, seed)` yields (label, query, body, expect) where `expect`
is the status the webhook must answer: 403, 400 or 413 for rejections, 200 for the few
well-signed ones that carry odd but legal content (they must be stored exactly once).
"""
from __future__ import annotations

import base64
import random
import time
from typing import Iterator

from wechatpy.crypto import WeChatCrypto

from core.wechat import cdata, sign

BOMBS = [
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><FromUserName>&c;</FromUserName><MsgType>text</MsgType></xml>',
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><FromUserName>u</FromUserName>'
    '<MsgType>text</MsgType><Content>&e;</Content></xml>',
    '<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd"><xml><FromUserName>u</FromUserName></xml>',
    '<xml><!ENTITY x "y"><FromUserName>u</FromUserName></xml>',
]
CONTROL = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r")


def _xml(rng: random.Random, user: str, content: str, msg_id: int, msg_type: str = "text") -> str:
    return (f"<xml><ToUserName>{cdata('gh_x')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
            f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId></xml>")


def _signed(token: str, ts: int | None = None) -> dict:
    ts_s = str(ts or int(time.time()))
    nonce = str(random.randrange(10**9))
    return {"timestamp": ts_s, "nonce": nonce, "signature": sign(token, ts_s, nonce)}


def corpus(n: int, token: str, aes_key: str, app_id: str, seed: int = 7) -> Iterator[tuple[str, dict, bytes, int]]:
    rng = random.Random(seed)
    crypto = WeChatCrypto(token, aes_key, app_id)
    wrong_app = WeChatCrypto(token, aes_key, "wx_not_ours")
    base_id = 7_000_000_000 + seed * 1_000_000
    for i in range(n):
        kind = i % 20
        user = f"fuzz-{rng.randrange(50)}"
        good = _xml(rng, user, "测试", base_id + i)
        q = _signed(token)
        if kind == 0:
            yield "wrong_signature", {**q, "signature": "%040x" % rng.getrandbits(160)}, good.encode(), 403
        elif kind == 1:
            yield "missing_signature", {k: v for k, v in q.items() if k != "signature"}, good.encode(), 403
        elif kind == 2:
            stale = _signed(token, int(time.time()) - rng.randrange(301, 10**6))
            yield "stale_timestamp", stale, good.encode(), 403
        elif kind == 3:
            yield "future_timestamp", _signed(token, int(time.time()) + rng.randrange(301, 10**6)), good.encode(), 403
        elif kind == 4:
            yield "bad_timestamp", {**q, "timestamp": rng.choice(["", "abc", "1e9", "-"])}, good.encode(), 403
        elif kind == 5:
            yield "entity_bomb", q, rng.choice(BOMBS).encode(), 400
        elif kind == 6:
            cut = rng.randrange(1, len(good) - 1)
            yield "truncated", q, good[:cut].encode(), 400
        elif kind == 7:
            yield "oversize", q, _xml(rng, user, "x" * (65536 + rng.randrange(1, 5000)), base_id + i).encode(), 413
        elif kind == 8:
            yield "garbage_bytes", q, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))), 400
        elif kind == 9:
            enc = rng.choice(["!!!", "QUJD", base64.b64encode(rng.randbytes(48)).decode(), "A" * 88])
            yield "bad_aes", {**q, "encrypt_type": "aes", "msg_signature": sign(token, q["timestamp"], q["nonce"], enc)}, \
                f"<xml><Encrypt>{cdata(enc)}</Encrypt></xml>".encode(), 400
        elif kind == 10:
            env = wrong_app.encrypt_message(good, q["nonce"], q["timestamp"])
            enc = env.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
            yield "wrong_app_id", {**q, "encrypt_type": "aes", "msg_signature": sign(token, q["timestamp"], q["nonce"], enc)}, \
                f"<xml><Encrypt>{cdata(enc)}</Encrypt></xml>".encode(), 400
        elif kind == 11:
            env = crypto.encrypt_message(good, q["nonce"], q["timestamp"])
            enc = env.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
            yield "wrong_msg_signature", {**q, "encrypt_type": "aes", "msg_signature": "0" * 40}, \
                f"<xml><Encrypt>{cdata(enc)}</Encrypt></xml>".encode(), 403
        elif kind == 12:
            yield "no_msgtype", q, f"<xml><FromUserName>{cdata(user)}</FromUserName></xml>".encode(), 400
        elif kind == 13:
            yield "nested_fields", q, b"<xml><FromUserName><a><b>1</b></a></FromUserName><MsgType>text</MsgType></xml>", 400
        elif kind == 14:
            yield "control_chars_raw", q, f"<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><Content>{CONTROL[:5]}</Content></xml>".encode(), 400
        elif kind == 15:
            yield "empty_body", q, b"", 400
        elif kind == 16:
            yield "huge_openid", q, _xml(rng, "u" * rng.randrange(65, 5000), "hi", base_id + i).encode(), 400
        elif kind == 17:
            text = "".join(rng.choice(["]]>", "<", "&", "😀", "\u202e", "\t", "测", "'", '"', "\\x00"]) for _ in range(rng.randrange(1, 40)))
            yield "odd_text_ok", q, _xml(rng, user, text, base_id + i).encode(), 200
        elif kind == 18:
            yield "unknown_type_ok", q, _xml(rng, user, "x", base_id + i, msg_type=rng.choice(["foo", "miniprogrampage", "x" * 30])).encode(), 200
        else:
            yield "wrong_root", q, good.replace("<xml>", "<root>").replace("</xml>", "</root>").encode(), 400


# --- field values (hypothesis) -------------------------------------------------

def fullwidth(text: str) -> str:
    """Digits as their full-width forms (Python's int() reads them; WeChat never sends them)."""
    return text.translate({48 + d: 0xFF10 + d for d in range(10)})


def field_strategies(now: int) -> dict:
    """Hypothesis strategies for the VALUES of webhook fields and query arguments, legal and hostile alike.

    Numbers: in range, just past 2^63 - 1, 2^64, huge, negative, signed, spaced, full-width, underscored.
    Texts: any unicode, long, and the legal values (so that some requests reach the handlers and the fast lane).
    `now` only seeds CreateTime; timestamps are taken from the clock when drawn.
    """
    from hypothesis import strategies as st
    text = st.text(max_size=200)
    number = st.one_of(st.integers(0, 2**63 - 1).map(str), st.integers(2**63 - 8, 2**66).map(str),
                       st.integers(-2**64, -1).map(str), st.integers(10**19, 10**40).map(str),
                       st.integers(0, 10**6).map(rng_format), st.integers(0, 10**12).map(lambda n: fullwidth(str(n))),
                       st.text(max_size=30))
    def at_draw(form):  # the clock is read when the example is drawn: a long test run stays inside the window
        return st.integers(-100, 100).map(lambda d: form(int(time.time()) + d))
    timestamp = st.one_of(at_draw(str), at_draw(lambda t: fullwidth(str(t))), at_draw(lambda t: f"+{t}"),
                          at_draw(lambda t: f" {t}"), at_draw(lambda t: f"{t:_}"), at_draw(lambda t: f"{t}\n"),
                          st.just(""), st.none(), text)
    nonce = st.one_of(st.text("0123456789abcdef", min_size=1, max_size=16), st.sampled_from(["", " ", "密", "a b"]),
                      st.none(), text)
    return {
        "CreateTime": st.one_of(st.just(str(now)), number, st.none()),
        "MsgId": st.one_of(st.integers(1, 2**63 - 1).map(str), number, st.none()),
        "MsgID": st.one_of(number, st.none()),
        "MsgType": st.one_of(st.sampled_from(["text", "event", "voice", "image", "location", "link"]), text),
        "Event": st.one_of(st.sampled_from(["subscribe", "unsubscribe", "SCAN", "CLICK", "TEMPLATESENDJOBFINISH"]),
                           text, st.none()),
        "Content": st.one_of(st.sampled_from(["内科门诊的排班能不能调整一下，最近病人很多等候太久",
                                              "帮助", "绑定 ABCDEFGH", "详情 T-2026-0001", "1"]), text, st.none()),
        "EventKey": st.one_of(text, st.none()),
        "Recognition": st.one_of(text, st.none()),
        "timestamp": timestamp, "nonce": nonce,
    }


def rng_format(n: int) -> str:
    """Forms Python's int() accepts but WeChat never sends."""
    return random.Random(n).choice([f"+{n}", f" {n}", f"{n} ", f"{n:_}" if n > 999 else f"0_{n}", f"{n}\n"])


def field_xml(user: str, fields: dict) -> str:
    """A WeChat message from field values (None: left out), each value in CDATA."""
    parts = [f"<ToUserName>{cdata('gh_x')}</ToUserName>", f"<FromUserName>{cdata(user)}</FromUserName>"]
    parts += [f"<{k}>{cdata(v)}</{k}>" for k, v in fields.items() if v is not None]
    return "<xml>" + "".join(parts) + "</xml>"
