"""Last in line: whatever nobody handled gets an answer, never silence.

Only the events that need none get WeChat's own `success`: unsubscribe, VIEW (a link button),
TEMPLATESENDJOBFINISH, and the automatic LOCATION report (handlers.common.silent_event).
"""
from __future__ import annotations

from core.wechat import Inbound
from handlers import texts
from handlers.common import SILENT_EVENTS, help_text
from handlers.router import Context, Router

router = Router("fallback")


@router.on()
def answer_with_help(msg: Inbound, ctx: Context) -> str:
    if msg.msg_type in ("text", "voice") and msg.text:
        shown = msg.text if len(msg.text) <= 20 else msg.text[:20] + "…"
        return texts.UNKNOWN_COMMAND.format(text=shown) + help_text(ctx)
    if msg.msg_type == "voice":
        return texts.VOICE_UNRECOGNIZED
    if msg.msg_type == "event" and msg.event in SILENT_EVENTS:
        return ""
    if msg.msg_type == "event" and msg.event == "click":
        return texts.STALE_BUTTON + help_text(ctx)
    if msg.msg_type == "event":
        return texts.EVENT_HELP + help_text(ctx)
    return texts.UNSUPPORTED
