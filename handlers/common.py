"""Everyone: bind, unbind, name, help, follow/unfollow events, QR scenes."""
from __future__ import annotations

import functools
import logging

from sqlalchemy import select

from core.wechat import Inbound
from handlers import replies, texts
from handlers import joint, review
from handlers.meetings import help_section
from handlers.router import Context, Router, command, event, msg_type
from models.org import Branch
from services.messages import inbound as inbound_svc
from services.tasks import intake
from services.messages import outbox as outbox_svc
from services.org import people
from services.tasks.lifecycle import TaskError

log = logging.getLogger("tongxin.handlers")
router = Router("common")


def help_text(ctx: Context) -> str:
    return (texts.HELP_HEADER + texts.HELP.get(ctx.member.role, "") + help_section(ctx) + joint.help_section(ctx)
            + review.help_section(ctx))


def task_errors(example: str = "", list_cmd: str = "我的诉求"):
    """Turn a refused task action into its Chinese explanation; nothing was changed."""
    def wrap(fn):
        @functools.wraps(fn)
        def inner(msg: Inbound, ctx: Context) -> str | None:
            try:
                return fn(msg, ctx)
            except TaskError as exc:
                names = ctx.session.scalars(select(Branch.aliases).where(
                    Branch.consortium_id == ctx.member.consortium_id).order_by(Branch.id)).all()
                info = {"example": example, "list_cmd": list_cmd, "number": ctx.args.get("number"),
                        "branches": "、".join(a[0] for a in names if a), **exc.info}
                return texts.TASK_ERRORS[exc.code].format(**info)
        return inner
    return wrap


def _bind_reply(ctx: Context, code: str) -> str:
    try:
        person = people.bind(ctx.session, ctx.member, code, now=ctx.now, sandbox=ctx.sandbox)
    except people.BindError as exc:
        log.warning("bind refused (%s) for %s", exc.reason, ctx.member.openid,
                    extra={"openid": ctx.member.openid, "reason": exc.reason})
        return texts.BIND_ERRORS[exc.reason].format(code=code.upper(), **exc.info)
    template = texts.BIND_OK[person.role]
    reply = template.format(unit=person.unit.name if person.unit else "",
                            branch=person.branch.name if person.branch else "",
                            title="副书记" if person.is_deputy else "书记", office=person.office_name)
    if person.role == "member":
        task, count = intake.submit_pending(ctx.session, person, ctx.rules, now=ctx.now, sandbox=ctx.sandbox)
        if task is not None:
            reply += "\n" + texts.BIND_PENDING_SUBMITTED.format(count=count) + "\n" + replies.task_reply(task)
    return reply


@router.on(command("绑定"))
def bind_code(msg: Inbound, ctx: Context) -> str:
    code = ctx.args["rest"].split()[0] if ctx.args["rest"] else ""
    if not code:
        return texts.BIND_USAGE
    return _bind_reply(ctx, code)


@router.on(command("解绑"))
def unbind_me(msg: Inbound, ctx: Context) -> str:
    if not ctx.member.bound:
        return texts.UNBIND_NOT_BOUND
    people.unbind(ctx.session, ctx.member, now=ctx.now, sandbox=ctx.sandbox)
    return texts.UNBIND_OK


@router.on(command("姓名"))
def set_name(msg: Inbound, ctx: Context) -> str:
    if not ctx.args["rest"]:
        return texts.NAME_USAGE
    people.set_name(ctx.session, ctx.member, ctx.args["rest"])
    return texts.NAME_OK.format(name=ctx.member.name)


@router.on(command("帮助", "help", "菜单", "?", "？", click="HELP"))
def show_help(msg: Inbound, ctx: Context) -> str:
    return help_text(ctx)


@router.on(event("subscribe", "scan"))
def follow(msg: Inbound, ctx: Context) -> str:
    """Follow or scan: a QR scene carries an invite code and binds at once."""
    if msg.scene:
        return _bind_reply(ctx, msg.scene)
    if ctx.member.bound:
        return texts.WELCOME_BACK.format(name=ctx.member.display)
    return texts.WELCOME


SILENT_EVENTS = ("unsubscribe", "templatesendjobfinish", "view", "location")  # WeChat shows no answer to these


@router.on(event(*SILENT_EVENTS))
def silent_event(msg: Inbound, ctx: Context) -> str:
    """Stored by the webhook; nothing to say (WeChat shows no reply to these)."""
    if msg.event == "templatesendjobfinish":
        row = outbox_svc.record_template_result(ctx.session, msg.raw.get("MsgID"), msg.raw.get("Status"))
        log.info("template message %s finished: %s (outbox %s)", msg.raw.get("MsgID"), msg.raw.get("Status"),
                 row.id if row else None)
    return ""


@router.on(msg_type("emoji"))
def sticker(msg: Inbound, ctx: Context) -> str:
    """A sticker (emoji message) is courtesy: acknowledge it kindly."""
    return texts.THANKS_ACK


@router.on(msg_type("image", "location", "link", "video", "shortvideo", "file"))
def attachment_unbound(msg: Inbound, ctx: Context) -> str | None:
    if ctx.member.role == "member":
        return None  # the member router attaches it to a request
    return texts.UNSUPPORTED


def mark_pending(ctx: Context) -> str:
    inbound_svc.mark(ctx.session, ctx.inbound_id, "pending_bind")
    return texts.UNBOUND_STORED
