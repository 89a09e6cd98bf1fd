"""督办 in WeChat: the office files a joint meeting's decision as an item (督办 …), confirms (确认 D-…)
or reopens (重开 D-…) it; the owner (a branch's secretaries, a unit's contact) reports progress (进展)
and completion (完成); either links a request (关联 D-… T-…)."""
from __future__ import annotations

import functools

from core.wechat import Inbound
from handlers import joint_texts as t
from handlers.router import Context, Router, command, role
from services.joint import contacts, listing
from services.joint import items as svc
from services.joint.items import JointError
from models.task import STATUS_LABELS

router = Router("joint")
OFFICE = role("office", "admin")


def item_number(msg: Inbound, ctx: Context) -> bool | dict:
    """The word after the command is D-YYYY-NNNN: gives `item` and the text after it as `rest`."""
    parts = (msg.text or "").split(maxsplit=2)
    head, tail = (parts[1] if len(parts) > 1 else ""), (parts[2] if len(parts) > 2 else "")
    return {"item": head.upper(), "rest": tail.strip()} if svc.NUMBER.match(head) else False


def joint_errors(fn):
    """A refused 督办 action becomes its Chinese explanation; nothing was changed."""
    @functools.wraps(fn)
    def inner(msg: Inbound, ctx: Context) -> str | None:
        try:
            return fn(msg, ctx)
        except JointError as exc:
            return t.ERRORS[exc.code].format(**exc.info)
    return inner


def _today(ctx: Context):
    return ctx.now.astimezone(ctx.settings.tz).date()


def _list(ctx: Context, rows) -> str:
    if not rows:
        return t.ITEMS_EMPTY
    lines = [t.ITEMS_HEADER.format(count=len(rows))]
    for d in listing.to_dicts(ctx.session, rows, today=_today(ctx)):
        lines.append(t.ITEM_LINE.format(number=d["id"], owner=d["owner"], due=d["due"],
                                        status=t.STATUS_WORDS[d["status"]], title=d["title"]))
    return "\n".join(lines)


@router.on(OFFICE, command("督办"))
@joint_errors
def create_item(msg: Inbound, ctx: Context) -> str:
    if not ctx.args["rest"]:
        return _list(ctx, listing.query(ctx.session, today=_today(ctx), consortium_id=ctx.member.consortium_id,
                                        status="open"))
    owner, due, title = svc.parse_line(ctx.session, ctx.member.consortium_id, ctx.args["rest"], today=_today(ctx))
    item = svc.create(ctx.session, ctx.member, owner, due, title, ctx.settings.meetings, now=ctx.now,
                      sandbox=ctx.sandbox)
    return t.ITEM_CREATED.format(number=item.number, owner=owner.name, due=due.isoformat(), title=title,
                                 meeting=item.meeting.number if item.meeting else t.NO_MEETING,
                                 notified=len(svc.owner_people(ctx.session, item)))


@router.on(command("督办"))
def my_items(msg: Inbound, ctx: Context) -> str | None:
    """A secretary's or unit contact's own items."""
    today = _today(ctx)
    rows = []
    if ctx.member.role == "secretary" and ctx.member.branch:
        rows = listing.query(ctx.session, today=today, consortium_id=ctx.member.consortium_id,
                             owner=ctx.member.branch.code)
    for unit in contacts.units_of(ctx.session, ctx.member) if ctx.member.bound else []:
        rows += listing.query(ctx.session, today=today, consortium_id=ctx.member.consortium_id, owner=unit.code)
    if not rows and ctx.member.role != "secretary":
        return None
    return _list(ctx, rows)


@router.on(command("进展"), item_number)
@joint_errors
def report_progress(msg: Inbound, ctx: Context) -> str:
    item = svc.progress(ctx.session, ctx.member, ctx.args["item"], ctx.args["rest"], now=ctx.now)
    return t.ITEM_PROGRESS.format(number=item.number)


@router.on(command("完成"), item_number)
@joint_errors
def complete_item(msg: Inbound, ctx: Context) -> str:
    item = svc.complete(ctx.session, ctx.member, ctx.args["item"], ctx.args["rest"], now=ctx.now,
                        sandbox=ctx.sandbox)
    return t.ITEM_DONE.format(number=item.number, office=ctx.member.office_name)


@router.on(OFFICE, command("确认"), item_number)
@joint_errors
def confirm_item(msg: Inbound, ctx: Context) -> str:
    item = svc.confirm(ctx.session, ctx.member, ctx.args["item"], now=ctx.now, sandbox=ctx.sandbox)
    return t.ITEM_CONFIRMED.format(number=item.number)


@router.on(OFFICE, command("重开"), item_number)
@joint_errors
def reopen_item(msg: Inbound, ctx: Context) -> str:
    item = svc.reopen(ctx.session, ctx.member, ctx.args["item"], ctx.args["rest"], now=ctx.now,
                      sandbox=ctx.sandbox)
    return t.ITEM_REOPENED.format(number=item.number, owner=item.owner_name)


@router.on(command("关联"), item_number)
@joint_errors
def link_request(msg: Inbound, ctx: Context) -> str:
    item, task = svc.link(ctx.session, ctx.member, ctx.args["item"], ctx.args["rest"].split(" ")[0], now=ctx.now)
    return t.ITEM_LINKED.format(number=item.number, task=task.number, status=STATUS_LABELS.get(task.status, task.status))


def help_section(ctx: Context) -> str:
    if ctx.member.role in ("office", "admin"):
        return t.HELP_OFFICE
    if ctx.member.role == "secretary" or (ctx.member.bound and contacts.units_of(ctx.session, ctx.member)):
        return t.HELP_OWNER
    return ""
