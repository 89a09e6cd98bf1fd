"""The one adapter around WeChat's webhook protocol and wechatpy.

Signatures are checked here in constant time with a replay window; XML is parsed
with DOCTYPE/entities refused; AES uses wechatpy's crypto; replies are rendered
so that any user text round-trips inside CDATA.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException


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
    if not given or not hmac.compare_digest(sign(*expected_parts), given):
        raise WebhookError(403, "bad signature")


def check_timestamp(timestamp: str | None, window: int, now: float | None = None) -> None:
    try:
        ts = int(timestamp or "")
    except ValueError:
        raise WebhookError(403, "bad timestamp") from None
    if abs((now if now is not None else time.time()) - ts) > window:
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


def to_inbound(raw: dict) -> Inbound:
    openid = _field(raw, "FromUserName")
    msg_type = (_field(raw, "MsgType") or "").lower()
    if not openid or not msg_type or len(openid) > 64:
        raise WebhookError(400, "FromUserName or MsgType missing")
    try:
        create_time = int(_field(raw, "CreateTime") or 0)
        msg_id = int(_field(raw, "MsgId") or 0) or None
    except ValueError:
        raise WebhookError(400, "CreateTime or MsgId not a number") from None
    event = (_field(raw, "Event") or "").lower() or None if msg_type == "event" else None
    if msg_type == "voice":
        content = _field(raw, "Recognition")
    elif msg_type == "text":
        content = _field(raw, "Content")
    else:
        content = None
    return Inbound(openid=openid, account=_field(raw, "ToUserName") or "", msg_type=msg_type,
                   create_time=create_time, msg_id=msg_id, content=content, event=event,
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
