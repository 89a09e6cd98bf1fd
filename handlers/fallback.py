"""Last in line: whatever nobody handled gets help, never silence."""
from __future__ import annotations

from core.wechat import Inbound
from handlers import texts
from handlers.common import help_text
from handlers.router import Context, Router

router = Router("fallback")


@router.on()
def answer_with_help(msg: Inbound, ctx: Context) -> str:
    if msg.msg_type in ("text", "voice") and msg.text:
        shown = msg.text if len(msg.text) <= 20 else msg.text[:20] + "…"
        return texts.UNKNOWN_COMMAND.format(text=shown) + help_text(ctx)
    if msg.msg_type in ("image", "location", "link", "video", "shortvideo"):
        return texts.UNSUPPORTED
    return ""  # events and unknown types: 'success'
