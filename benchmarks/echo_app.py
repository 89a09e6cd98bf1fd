"""The bare reference: Flask + wechatpy (check signature, decrypt, parse, reply, encrypt), no database.

Served by bench_webhook.py with the same gunicorn settings as the full app.
"""
from __future__ import annotations

import os

from flask import Flask, Response, request
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

TOKEN = os.environ.get("WECHAT_TOKEN", "tongxin-dev")
AES_KEY = os.environ.get("WECHAT_AES_KEY")
APP_ID = os.environ.get("WECHAT_APP_ID", "sandbox")
app = Flask(__name__)
crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID) if AES_KEY else None


@app.post("/wechat")
def echo() -> Response:
    args = request.args
    check_signature(TOKEN, args["signature"], args["timestamp"], args["nonce"])
    body = request.get_data()
    if args.get("encrypt_type") == "aes":
        body = crypto.decrypt_message(body, args["msg_signature"], args["timestamp"], args["nonce"])
    msg = parse_message(body)
    xml = create_reply(f"收到：{msg.content}", msg).render()
    if args.get("encrypt_type") == "aes":
        xml = crypto.encrypt_message(xml, args["nonce"])
    return Response(xml, mimetype="application/xml")
