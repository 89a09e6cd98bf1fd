"""The one adapter around WeChat's webhook protocol and wechatpy.

Signatures are checked here in constant time with a replay window; XML is parsed
with DOCTYPE/entities refused; AES uses wechatpy's crypto; replies are rendered
so that any user text round-trips inside CDATA.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException


ASCII_DIGITS = re.compile(r"[0-9]{1,19}")  # never int() alone: it takes "１７９", "+1", " 1", "1_0"
NONCE = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, non-empty
SIGNATURE = re.compile(r"[0-9a-fA-F]{40}")
BIGINT_MAX = 2**63 - 1  # the BigInteger columns (msg_id, create_time)
NUMERIC_FIELDS = ("CreateTime", "MsgId", "MsgID")  # the message and template-job ids WeChat sends as numbers
FIELD_LIMITS = {"MsgType": 32, "Event": 64}  # column lengths of inbound_messages (openid: 64, checked below)


class WebhookError(Exception):
    """A request WeChat's servers would never send; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        self.status = status
        self.reason = reason
        super().__init__(f"{status} {reason}")


def sign(*parts: str) -> str:
    """WeChat's SHA1 signature over the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(expected_parts: tuple[str, ...], given: str | None) -> None:
    if not given or not SIGNATURE.fullmatch(given) or not hmac.compare_digest(sign(*expected_parts), given.lower()):
        raise WebhookError(403, "bad signature")


def check_nonce(nonce: str | None) -> str:
    """The `nonce` query argument: present, printable ASCII, not empty."""
    if not nonce or not NONCE.fullmatch(nonce):
        raise WebhookError(403, "bad nonce")
    return nonce


def check_timestamp(timestamp: str | None, window: int, now: float | None = None) -> None:
    if not timestamp or not ASCII_DIGITS.fullmatch(timestamp):
        raise WebhookError(403, "bad timestamp")
    if abs((now if now is not None else time.time()) - int(timestamp)) > window:
        raise WebhookError(403, "timestamp outside the replay window")


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """Parse a WeChat XML document into a flat dict; 400 on anything odd.

    Leaf elements give their text (None when empty); an element with children
    gives a dict of its leaves and a repeated element a list, neither of which
    any field we read accepts. expat (the C parser behind ElementTree) refuses
    control characters and undefined entities; DTDs are refused before parsing.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    head = text[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in text.upper():
        raise WebhookError(400, "DTD or entity in XML")
    try:
        root = ElementTree.fromstring(text)
    except Exception:  # ParseError, ValueError: anything the parser raises
        raise WebhookError(400, "malformed XML") from None
    if root.tag != "xml" or len(root) == 0:
        raise WebhookError(400, "no <xml> root")
    doc: dict[str, Any] = {}
    for child in root:
        value: Any = (child.text or None) if len(child) == 0 else {leaf.tag: leaf.text for leaf in child}
        if child.tag in doc:
            prev = doc[child.tag]
            value = (prev if isinstance(prev, list) else [prev]) + [value]
        doc[child.tag] = value
    return doc


@dataclass(frozen=True)
class Inbound:
    """One message or event as WeChat sent it, with the fields we use."""
    openid: str
    account: str
    msg_type: str
    create_time: int
    msg_id: int | None
    content: str | None
    event: str | None
    event_key: str | None
    raw: dict = field(repr=False)

    @property
    def dedupe_key(self) -> str:
        if self.msg_id:
            return f"m:{self.openid}:{self.msg_id}"
        return f"e:{self.openid}:{self.create_time}:{self.event or ''}:{self.event_key or ''}"[:200]

    @property
    def scene(self) -> str | None:
        """QR scene of a subscribe (`qrscene_X`) or SCAN (`X`) event."""
        key = self.event_key or ""
        if self.event == "subscribe" and key.startswith("qrscene_"):
            return key[len("qrscene_"):] or None
        if self.event == "scan":
            return key or None
        return None

    @property
    def text(self) -> str:
        """What the user said: typed text, or WeChat's recognition of a voice message."""
        return (self.content or "").strip()


def _field(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise WebhookError(400, f"field {name} is not text")
    return value


def _number(raw: dict, name: str) -> int:
    """A numeric field: ASCII digits that fit a signed 64-bit column (0 when absent), else 400."""
    value = _field(raw, name)
    if value is None:
        return 0
    if not ASCII_DIGITS.fullmatch(value) or int(value) > BIGINT_MAX:
        raise WebhookError(400, f"field {name} is not a number in range")
    return int(value)


def to_inbound(raw: dict) -> Inbound:
    openid = _field(raw, "FromUserName")
    msg_type = (_field(raw, "MsgType") or "").lower()
    if not openid or not msg_type or len(openid) > 64:
        raise WebhookError(400, "FromUserName or MsgType missing")
    for name, limit in FIELD_LIMITS.items():
        if len(_field(raw, name) or "") > limit:
            raise WebhookError(400, f"field {name} longer than {limit}")
    create_time, msg_id, _template_msg_id = (_number(raw, name) for name in NUMERIC_FIELDS)
    event = (_field(raw, "Event") or "").lower() or None if msg_type == "event" else None
    if msg_type == "voice":
        content = _field(raw, "Recognition")
    elif msg_type == "text":
        content = _field(raw, "Content")
    else:
        content = None
    return Inbound(openid=openid, account=_field(raw, "ToUserName") or "", msg_type=msg_type,
                   create_time=create_time, msg_id=msg_id or None, content=content, event=event,
                   event_key=_field(raw, "EventKey") if msg_type == "event" else None,
                   raw={k: v for k, v in raw.items() if isinstance(v, str)})


def cdata(value: str) -> str:
    """Wrap text in CDATA so that any content, `]]>` included, survives."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(to_user: str, from_account: str, content: str, now: int | None = None) -> str:
    return ("<xml>"
            f"<ToUserName>{cdata(to_user)}</ToUserName>"
            f"<FromUserName>{cdata(from_account)}</FromUserName>"
            f"<CreateTime>{int(now or time.time())}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content>"
            "</xml>")


class Crypto:
    """AES safe mode around wechatpy's WeChatCrypto."""

    def __init__(self, token: str, aes_key: str, app_id: str):
        self._crypto = WeChatCrypto(token, aes_key, app_id)

    def decrypt(self, body: bytes, msg_signature: str | None, timestamp: str, nonce: str) -> str:
        outer = parse_xml(body)
        encrypt = outer.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise WebhookError(400, "Encrypt missing")
        check_signature((self._crypto.token, timestamp, nonce, encrypt), msg_signature)
        try:
            return self._crypto.decrypt_message({"Encrypt": encrypt}, sign(self._crypto.token, timestamp, nonce, encrypt),
                                                timestamp, nonce)
        except InvalidSignatureException:
            raise WebhookError(403, "bad msg_signature") from None
        except InvalidAppIdException:
            raise WebhookError(400, "wrong app id") from None
        except Exception:  # bad base64, padding, unicode: garbage from a non-WeChat sender
            raise WebhookError(400, "cannot decrypt") from None

    def encrypt(self, xml: str, nonce: str | None = None, timestamp: str | None = None) -> str:
        return self._crypto.encrypt_message(xml, nonce or secrets.token_hex(8), timestamp)
