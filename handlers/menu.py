"""Menu buttons with no typed command, and buttons or commands this role may not use: never silence."""
from __future__ import annotations

from core.config.menu import CLICK_KEYS
from core.wechat import Inbound
from handlers import texts
from handlers.router import Context, Router, click, command, role

router = Router("menu")
MEMBER, SECRETARY, OFFICE = ("member",), ("secretary",), ("office", "admin")
# who may use each command word (and each button, through CLICK_KEYS): the routers' own role filters
ALLOWED = {
    **dict.fromkeys(("我要反映", "我的诉求", "进度", "补充", "撤回", "评价"), MEMBER),
    **dict.fromkeys(("任务", "待办", "接单", "转办", "退回", "办结", "月报", "活动", "确认", "取消"), SECRETARY),
    **dict.fromkeys(("待分派", "分派", "统计", "未报送", "催报", "通知", "需求"), OFFICE),
    **dict.fromkeys(("详情", "结对", "四个一"), SECRETARY + OFFICE),
}


@router.on(command("绑定说明", click="BIND_HELP"))
def bind_guide(msg: Inbound, ctx: Context) -> str:
    if ctx.member.bound:
        return texts.BIND_GUIDE_BOUND.format(who=texts.WHO_BOUND[ctx.member.role])
    return texts.BIND_GUIDE


@router.on(role(*MEMBER), click("REPORT"))
def invite_report(msg: Inbound, ctx: Context) -> str:
    return texts.REPORT_INVITE


def _restricted_word(msg: Inbound, ctx: Context) -> bool | dict:
    """A button or command word whose roles do not include the sender's: {"word": ...}."""
    if msg.msg_type == "event" and msg.event == "click":
        word = CLICK_KEYS.get(msg.event_key or "")
    elif msg.msg_type in ("text", "voice") and msg.text:
        word = msg.text.split(maxsplit=1)[0]
    else:
        return False
    roles = ALLOWED.get(word or "")
    return {"word": word} if roles and ctx.member.role not in roles else False


@router.on(_restricted_word)
def not_for_role(msg: Inbound, ctx: Context) -> str:
    """What the button or command is for and who may use it."""
    word = ctx.args["word"]
    roles = ALLOWED[word]
    who = "、".join(texts.ROLE_NAMES[r] for r in roles if r != "admin" or "office" not in roles)
    hint = texts.NOT_FOR_ROLE_BOUND if ctx.member.bound else texts.NOT_FOR_ROLE_UNBOUND
    return texts.NOT_FOR_ROLE.format(word=word, purpose=texts.COMMAND_PURPOSE[word], who=who) + hint
