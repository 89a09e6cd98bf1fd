"""WeChatSim: sends messages to /wechat the way WeChat's servers do (signed; AES with wechatpy)."""
from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass

import xmltodict
from wechatpy.crypto import WeChatCrypto

from core.wechat import cdata, sign

_ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


@dataclass
class Reply:
    status: int
    body: str
    content: str | None  # the reply text, decrypted and parsed; None when not a text reply


class WeChatSim:
    def __init__(self, client, token: str, *, aes_key: str | None = None, app_id: str = "sandbox",
                 mode: str = "plain", account: str = "gh_tongxin"):
        self.client = client
        self.token = token
        self.mode = mode  # plain | compat | safe
        self.account = account
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    # --- building -----------------------------------------------------------
    def xml(self, user: str, msg_type: str, create_time: int | None = None, **fields) -> str:
        parts = [f"<ToUserName>{cdata(self.account)}</ToUserName>", f"<FromUserName>{cdata(user)}</FromUserName>",
                 f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
                 f"<MsgType>{cdata(msg_type)}</MsgType>"]
        for key, value in fields.items():
            parts.append(f"<{key}>{value if isinstance(value, int) else cdata(str(value))}</{key}>")
        return "<xml>" + "".join(parts) + "</xml>"

    def post_xml(self, xml: str, *, timestamp: int | None = None, tamper: str | None = None) -> Reply:
        ts = str(timestamp or int(time.time()))
        nonce = secrets.token_hex(6)
        params = {"timestamp": ts, "nonce": nonce, "signature": sign(self.token, ts, nonce), "openid": "x"}
        body = xml
        if self.mode in ("safe", "compat"):
            envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, ts))["xml"]
            params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
            inner = xml[len("<xml>"):-len("</xml>")] if self.mode == "compat" else \
                f"<ToUserName>{cdata(self.account)}</ToUserName>"
            body = f"<xml>{inner}<Encrypt>{cdata(envelope['Encrypt'])}</Encrypt></xml>"
        if tamper == "signature":
            params["signature"] = "0" * 40
        elif tamper == "msg_signature":
            params["msg_signature"] = "0" * 40
        resp = self.client.post("/wechat", query_string=params, data=body.encode("utf-8"),
                                content_type="text/xml")
        return self._reply(resp, params)

    def _reply(self, resp, params) -> Reply:
        text = resp.get_data(as_text=True)
        content = None
        if resp.status_code == 200 and text.startswith("<xml>"):
            doc = xmltodict.parse(text)["xml"]
            if "Encrypt" in doc:
                assert doc["MsgSignature"] == sign(self.token, doc["TimeStamp"], doc["Nonce"], doc["Encrypt"])
                text_xml = self.crypto.decrypt_message(text, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])
                doc = xmltodict.parse(text_xml)["xml"]
            content = doc.get("Content")
        return Reply(resp.status_code, text, content)

    # --- conversation ------------------------------------------------------
    def send(self, text: str, user: str = "user-1", msg_id: int | None = None) -> str | None:
        reply = self.post_xml(self.xml(user, "text", Content=text, MsgId=msg_id or next(_ids)))
        assert reply.status == 200, reply.body
        return reply.content

    def voice(self, recognition: str, user: str = "user-1") -> str | None:
        return self.post_xml(self.xml(user, "voice", MediaId="media1", Format="amr",
                                      Recognition=recognition, MsgId=next(_ids))).content

    def image(self, user: str = "user-1") -> str | None:
        return self.post_xml(self.xml(user, "image", PicUrl="http://127.0.0.1/p.jpg", MediaId="m1",
                                      MsgId=next(_ids))).content

    def event(self, event: str, user: str = "user-1", key: str | None = None, **extra) -> Reply:
        fields = {"Event": event, **({"EventKey": key} if key is not None else {}), **extra}
        return self.post_xml(self.xml(user, "event", **fields))

    def click(self, key: str, user: str = "user-1") -> str | None:
        return self.event("CLICK", user, key).content
