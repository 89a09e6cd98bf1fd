"""Pairing work in WeChat: secretaries record activities (活动, one line, 确认, photos) and see 结对;
the office sees the 四个一 matrix and marks needs (需求)."""
from __future__ import annotations

import re

from core.wechat import Inbound
from handlers import pairing_texts as t
from handlers.reports import secretary_drafts
from handlers.router import Context, Router, command, free_text, looks_like_command, msg_type, role
from models.pairing import FOUR_ITEMS
from services.joint import plans
from services.pairing import activities
from services.org import structure as org
from services.pairing import agreements as pairing
from services.tasks import lifecycle as tasks
from services.pairing.agreements import ITEM_LABELS, KIND_LABELS

router = Router("activities")
SECRETARY = role("secretary")
OFFICE = role("office", "admin")
HAS_DATE = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}[-/.月]\d{1,2}|今天|今日|昨天|昨日|前天")
MATRIX_LINES = 15


def _four_status(row: pairing.PairingRow) -> str:
    return " ".join(f"{ITEM_LABELS[i]}{'✔' if row.ok(i) else '✘'}" for i in FOUR_ITEMS)


def _echo(ctx: Context, parsed: activities.ParsedActivity) -> str:
    d = parsed.held_on
    return t.ACTIVITY_ECHO.format(
        branch=ctx.member.branch.name, kind=KIND_LABELS[parsed.kind], date=f"{d.year}年{d.month}月{d.day}日",
        unit=parsed.unit, paired=t.ACTIVITY_PAIRED if parsed.pairing_id else t.ACTIVITY_NOT_PAIRED,
        counts=t.ACTIVITY_COUNTS.format(counts=activities.counts_text(parsed.counts)) if parsed.counts else "",
        note=t.ACTIVITY_NOTE.format(note=parsed.note) if parsed.note else "")


def _draft_reply(ctx: Context, text: str) -> str:
    try:
        _, parsed = activities.draft_from_line(ctx.session, ctx.member, text, now=ctx.now, tz=ctx.settings.tz)
    except activities.ActivityError as exc:
        return t.ACTIVITY_ERRORS[exc.code].format(**exc.info)
    return _echo(ctx, parsed)


@router.on(SECRETARY, command("活动"))
def start_activity(msg: Inbound, ctx: Context) -> str:
    """`活动` (guided) or `活动 义诊 2026-12-05 ...` (one message)."""
    if ctx.args["rest"]:
        return _draft_reply(ctx, ctx.args["rest"])
    activities.start_guided(ctx.session, ctx.member, now=ctx.now)
    units = [r.unit for r in pairing.pairing_rows(ctx.session, ctx.now.astimezone(ctx.settings.tz).year, branch_id=ctx.member.branch_id)]
    return t.ACTIVITY_GUIDE.format(units="、".join(units) or "无")


def _activity_line(msg: Inbound, ctx: Context) -> bool:
    """`义诊 2026-12-05 ...`: a type word, then more; deferred to an open 月报 draft unless it has a date."""
    if msg.msg_type not in ("text", "voice"):
        return False
    head, _, rest = msg.text.partition(" ")
    if activities.kind_of(head) is None or not rest.strip():
        return False
    return bool(HAS_DATE.search(rest)) or secretary_drafts(ctx).newest in (None, "activity")


@router.on(SECRETARY, _activity_line)
def activity_line(msg: Inbound, ctx: Context) -> str:
    return _draft_reply(ctx, msg.text)


def _collecting(msg: Inbound, ctx: Context) -> bool:
    if looks_like_command(msg.text):
        return False
    open_ = secretary_drafts(ctx)
    return open_.newest == "activity" and open_.activity.stage == "collecting"


@router.on(SECRETARY, free_text(), _collecting)
def activity_content(msg: Inbound, ctx: Context) -> str:
    return _draft_reply(ctx, msg.text)


@router.on(SECRETARY, command("确认"))
def confirm_activity(msg: Inbound, ctx: Context) -> str | None:
    """确认 files whichever draft is most recent: this activity, else the 月报 (handlers.reports)."""
    if not secretary_drafts(ctx).awaiting("activity"):
        return None
    activity = activities.confirm(ctx.session, ctx.member, now=ctx.now)
    d = activity.held_on
    four = ""
    if activity.pairing_id:
        row = next(r for r in pairing.pairing_rows(ctx.session, d.year, branch_id=activity.branch_id)
                   if r.id == activity.pairing_id)
        four = t.ACTIVITY_FOUR.format(unit=row.unit, status=_four_status(row))
    return t.ACTIVITY_RECORDED.format(date=f"{d.month}月{d.day}日", kind=KIND_LABELS[activity.kind],
                                      unit=activity.unit.name, id=activity.id, four=four)


@router.on(SECRETARY, command("取消"))
def cancel_activity(msg: Inbound, ctx: Context) -> str:
    cancelled = activities.cancel(ctx.session, ctx.member)
    return t.ACTIVITY_CANCELLED if cancelled else t.ACTIVITY_NOTHING_TO_CANCEL


@router.on(SECRETARY, msg_type("image"))
def activity_photo(msg: Inbound, ctx: Context) -> str | None:
    result = activities.attach_photo(ctx.session, ctx.member, inbound_id=ctx.inbound_id,
                                     media_id=msg.raw.get("MediaId", ""), pic_url=msg.raw.get("PicUrl", ""),
                                     now=ctx.now)
    if result is None:
        return None  # no activity just recorded: the common router answers
    if result == "draft":
        return t.PHOTO_TO_DRAFT
    return t.PHOTO_ATTACHED.format(id=result.id, kind=KIND_LABELS[result.kind], unit=result.unit.name,
                                   count=activities.photo_count(ctx.session, result.id))


@router.on(SECRETARY, command("结对", "四个一", click="PAIRING"))
def my_pairings(msg: Inbound, ctx: Context) -> str:
    year = ctx.now.astimezone(ctx.settings.tz).year
    rows = pairing.pairing_rows(ctx.session, year, branch_id=ctx.member.branch_id)
    name = ctx.member.branch.name
    if not rows:
        return t.PAIRINGS_EMPTY.format(branch=name)
    lines = [t.PAIRINGS_HEADER.format(branch=name, year=year)]
    planned = plans.pairing_progress(ctx.session, ctx.member.branch_id, year)
    for r in rows:
        line = t.PAIRING_LINE.format(unit=r.unit, status=_four_status(r),
                                     needs=t.PAIRING_NEEDS.format(count=r.needs_open) if r.needs_open else "")
        if r.unit_id in planned:
            line += t.PAIRING_PLAN.format(year=year, progress=planned[r.unit_id])
        if r.signed_on or r.duties:
            line += t.PAIRING_AGREEMENT.format(signed=r.signed_on or "-", ends=r.ends_on or "-",
                                               duties=("；" + "、".join(r.duties)) if r.duties else "")
        lines.append(line)
    branch_plan = plans.progress_line(ctx.session, ctx.member.branch_id, year, ctx.settings, now=ctx.now,
                                      pairings=False)
    return "\n".join(lines + ([branch_plan] if branch_plan else []) + [t.PAIRINGS_FOOTER])


@router.on(OFFICE, command("四个一", "结对", click="PAIRING"))
def four_ones_matrix(msg: Inbound, ctx: Context) -> str:
    year = ctx.now.astimezone(ctx.settings.tz).year
    rows = pairing.pairing_rows(ctx.session, year, consortium_id=ctx.member.consortium_id)
    if not rows:
        return t.MATRIX_EMPTY
    c = pairing.completion(rows)
    lines = [t.MATRIX_HEADER.format(year=year, complete=c["complete"], total=c["pairings"], rate=c["rate"],
                                    **{i: f"{c['items'][i]}/{c['pairings']}" for i in FOUR_ITEMS})]
    missing = [r for r in rows if not r.complete]
    if missing:
        lines.append(t.MATRIX_MISSING)
        lines += [f"· {r.branch}—{r.unit}：{_four_status(r)}" for r in missing[:MATRIX_LINES]]
        if len(missing) > MATRIX_LINES:
            lines.append(t.MATRIX_MORE.format(count=len(missing) - MATRIX_LINES))
    return "\n".join(lines)


@router.on(OFFICE, command("需求", number=True))
def mark_need(msg: Inbound, ctx: Context) -> str:
    if not ctx.args["number"]:
        return t.NEED_USAGE
    try:
        task = tasks.get_task(ctx.session, ctx.args["number"], ctx.member.consortium_id)
    except tasks.TaskError:
        return t.NEED_ERRORS["not_found"].format(number=ctx.args["number"])
    branch = None
    if ctx.args["rest"]:
        branch = org.find_branch(ctx.session, ctx.member.consortium_id, ctx.args["rest"].split()[0])
        if branch is None:
            return t.NEED_ERRORS["unknown_branch"].format(name=ctx.args["rest"].split()[0])
    try:
        need = pairing.mark_need(ctx.session, task, branch=branch, marked_by=ctx.member.display, now=ctx.now)
    except pairing.PairingError as exc:
        return t.NEED_ERRORS[exc.code].format(**exc.info)
    return t.NEED_OK.format(number=task.number, branch=need.pairing.branch.name, unit=need.pairing.unit.name)
