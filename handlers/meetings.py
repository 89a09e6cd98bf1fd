"""Organisational life in WeChat: party members bind by name (绑定 CODE 姓名), sign in (签到, or a
meeting's QR scene) and ask leave (请假); secretaries schedule (会议), cancel (取消会议), record minutes
(纪要) and photos, record after the fact (补录); the office sees who is behind (未开展)."""
from __future__ import annotations

import functools
import logging
from datetime import timedelta

from sqlalchemy import select

from core.wechat import Inbound
from handlers import meeting_texts as t
from handlers.router import Context, Router, command, event, msg_type, role
from models.org import Branch, Invite
from models.party import Attendance, Meeting
from services.joint import plans
from services.meetings import attendance, listing, matrix, media, roster
from services.meetings import meetings as svc
from services.meetings.parse import MeetingError
from services.org.people import invite_open

log = logging.getLogger("tongxin.handlers")
router = Router("meetings")
SECRETARY = role("secretary")
OFFICE = role("office", "admin")


def party_member(msg: Inbound, ctx: Context) -> bool | dict:
    """The sender's active roster entry, as `pm` (put this filter after the command filter)."""
    member = roster.member_of(ctx.session, ctx.member)
    return {"pm": member} if member is not None else False


def when_of(ctx: Context, meeting: Meeting | None) -> str:
    return svc.when_text(meeting, ctx.settings.tz) if meeting is not None else ""


def kind_of(ctx: Context, meeting: Meeting) -> str:
    return listing.kind_name(ctx.settings.meetings, meeting.kind)


def _next_text(ctx: Context, meeting: Meeting | None) -> str:
    if meeting is None:
        return t.NO_NEXT_MEETING
    return t.NEXT_MEETING.format(kind=kind_of(ctx, meeting), when=when_of(ctx, meeting), place=meeting.place or "待定")


def meeting_errors(fn=None, *, example: str = t.MEETING_EXAMPLE):
    """A refused meeting action becomes its Chinese explanation (with `example` of the right line); nothing
    was changed. Use as @meeting_errors or @meeting_errors(example=...)."""
    if fn is None:
        return functools.partial(meeting_errors, example=example)

    @functools.wraps(fn)
    def inner(msg: Inbound, ctx: Context) -> str | None:
        try:
            return fn(msg, ctx)
        except MeetingError as exc:
            info = dict(exc.info)
            meeting = info.pop("meeting", None)
            if meeting is not None:
                info.update(kind=kind_of(ctx, meeting), when=when_of(ctx, meeting))
            if "next" in info:
                info["next"] = _next_text(ctx, info["next"])
            row = info.pop("attendance", None)
            if row is not None:
                info["time"] = row.signed_at.astimezone(ctx.settings.tz).strftime("%H:%M") if row.signed_at else ""
            kinds = t.KINDS_HINT.format(kinds="、".join(k.name for k in ctx.settings.meetings.branch_kinds))
            return t.MEETING_ERRORS[exc.code].format(
                **{"example": example, "record": t.RECORD_EXAMPLE, "kinds": kinds, **info})
    return inner


# --- binding a party member ----------------------------------------------------------

def _roster_invite(ctx: Context, code: str) -> Invite | None:
    invite = ctx.session.scalar(select(Invite).where(Invite.code == code.strip().upper()))
    if invite is None or invite.role != "party_member" or not invite_open(invite, ctx.now):
        return None  # not a roster code (or a dead one): the common router answers
    return invite


@router.on(command("绑定"))
def bind_party_member(msg: Inbound, ctx: Context) -> str | None:
    code, _, name = ctx.args["rest"].partition(" ")
    invite = _roster_invite(ctx, code) if code else None
    if invite is None:
        return None
    branch = invite.branch
    name = name.strip()
    if not name:
        return t.PM_BIND_NEED_NAME.format(branch=branch.name, code=invite.code)
    outcome, member = roster.match_name(ctx.session, branch.id, name)
    if outcome != "ok":
        log.info("party-member bind refused (%s) for %s", outcome, ctx.member.openid)
        return t.PM_BIND_ERRORS[outcome].format(branch=branch.name, name=name)
    roster.link(ctx.session, ctx.member, member, now=ctx.now)
    invite.uses += 1
    return t.PM_BIND_OK.format(branch=branch.name, name=member.name)


@router.on(event("subscribe", "scan"))
@meeting_errors
def scan_scene(msg: Inbound, ctx: Context) -> str | None:
    """A meeting's QR code signs in; a roster code asks for the name. Other scenes: the common router."""
    scene = msg.scene or ""
    meeting = attendance.meeting_of_scene(ctx.session, scene)
    if meeting is None:
        invite = _roster_invite(ctx, scene) if scene else None
        return t.PM_BIND_NEED_NAME.format(branch=invite.branch.name, code=invite.code) if invite else None
    member = roster.member_of(ctx.session, ctx.member)
    if member is None:
        return t.NOT_PARTY_MEMBER
    return _signed(ctx, *attendance.sign_in(ctx.session, member, ctx.settings.meetings, now=ctx.now,
                                            meeting=meeting, via="scan"))


# --- party members --------------------------------------------------------------------

def _signed(ctx: Context, meeting: Meeting, row) -> str:
    return t.SIGNED_IN.format(kind=kind_of(ctx, meeting), when=when_of(ctx, meeting), place=meeting.place or "",
                              time=row.signed_at.astimezone(ctx.settings.tz).strftime("%H:%M"))


@router.on(command("签到"))
@meeting_errors
def sign_in(msg: Inbound, ctx: Context) -> str:
    member = roster.member_of(ctx.session, ctx.member)
    if member is None:
        return t.NOT_PARTY_MEMBER
    return _signed(ctx, *attendance.sign_in(ctx.session, member, ctx.settings.meetings, now=ctx.now))


@router.on(command("请假"), party_member)
@meeting_errors
def ask_leave(msg: Inbound, ctx: Context) -> str:
    meeting, row = attendance.ask_leave(ctx.session, ctx.args["pm"], ctx.args["rest"], now=ctx.now,
                                        conf=ctx.settings.meetings)
    return t.LEAVE_OK.format(kind=kind_of(ctx, meeting), when=when_of(ctx, meeting), reason=row.reason)


def _meeting_list(ctx: Context, branch: Branch) -> str:
    rows = listing.query(ctx.session, branch_id=branch.id, start=ctx.now - timedelta(days=60), limit=10)
    if not rows:
        return t.MEETINGS_EMPTY.format(branch=branch.name, example=t.MEETING_EXAMPLE)
    data = listing.summaries(ctx.session, rows, ctx.settings.meetings, now=ctx.now, tz=ctx.settings.tz)
    lines = [t.MEETINGS_HEADER.format(branch=branch.name)]
    for m, d in zip(rows, data):
        flags = ("（已取消）" if m.status == "cancelled" else "") + ("（补录）" if m.late_recorded else "") + \
                (f" 照片{d['photos']}" if d["photos"] else "") + (" 有纪要" if d["minutes"] else "")
        lines.append(t.MEETING_LINE.format(number=m.number, when=when_of(ctx, m), kind=d["kind"],
                                           group=f"（{m.group_name}）" if m.group_name else "", place=m.place,
                                           expected=d["expected"], present=d["present"], leave=d["leave"],
                                           flags=flags))
    return "\n".join(lines)


@router.on(SECRETARY, command("会议"))
@meeting_errors
def schedule_meeting(msg: Inbound, ctx: Context) -> str:
    if not ctx.args["rest"]:
        return _meeting_list(ctx, ctx.member.branch)
    meeting = svc.schedule(ctx.session, ctx.member, ctx.args["rest"], ctx.settings.meetings, now=ctx.now,
                           tz=ctx.settings.tz, sandbox=ctx.sandbox)
    d = listing.summaries(ctx.session, [meeting], ctx.settings.meetings, now=ctx.now, tz=ctx.settings.tz)[0]
    notified = sum(meeting_attendees(ctx, meeting))
    return t.MEETING_SCHEDULED.format(number=meeting.number, branch=meeting.branch.name, kind=d["kind"],
                                      group=f"（{meeting.group_name}）" if meeting.group_name else "",
                                      when=when_of(ctx, meeting), place=meeting.place or "待定",
                                      title=meeting.title or d["kind"], expected=d["expected"], notified=notified)


def meeting_attendees(ctx: Context, meeting: Meeting) -> list[bool]:
    """Per expected attendee: bound to WeChat?"""
    return [a.member.person_id is not None for a in ctx.session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id))]


@router.on(command("会议"), party_member)
def list_meetings(msg: Inbound, ctx: Context) -> str:
    return _meeting_list(ctx, ctx.args["pm"].branch)


@router.on(SECRETARY, command("取消会议"))
@meeting_errors
def cancel_meeting(msg: Inbound, ctx: Context) -> str:
    meeting = svc.cancel(ctx.session, ctx.member, ctx.args["rest"].split()[0] if ctx.args["rest"] else "",
                         ctx.settings.meetings, now=ctx.now, tz=ctx.settings.tz, sandbox=ctx.sandbox)
    return t.MEETING_CANCELLED.format(number=meeting.number, kind=kind_of(ctx, meeting), when=when_of(ctx, meeting),
                                      notified=sum(meeting_attendees(ctx, meeting)))


@router.on(SECRETARY, command("补录"))
@meeting_errors
def record_meeting(msg: Inbound, ctx: Context) -> str:
    if not ctx.args["rest"]:
        raise MeetingError("no_kind")
    meeting = svc.record_late(ctx.session, ctx.member, ctx.args["rest"], ctx.settings.meetings, now=ctx.now,
                              tz=ctx.settings.tz)
    d = listing.summaries(ctx.session, [meeting], ctx.settings.meetings, now=ctx.now, tz=ctx.settings.tz)[0]
    return t.MEETING_RECORDED.format(number=meeting.number, kind=d["kind"], when=when_of(ctx, meeting),
                                     expected=d["expected"], present=d["present"], leave=d["leave"],
                                     absent=d["absent"])


@router.on(SECRETARY, command("纪要"))
@meeting_errors
def add_minutes(msg: Inbound, ctx: Context) -> str:
    meeting = svc.add_minutes(ctx.session, ctx.member, ctx.args["rest"], now=ctx.now)
    return t.MINUTES_OK.format(number=meeting.number, kind=kind_of(ctx, meeting), when=when_of(ctx, meeting),
                               chars=len(meeting.minutes))


@router.on(SECRETARY, msg_type("image"))
def meeting_photo(msg: Inbound, ctx: Context) -> str | None:
    meeting = media.photo_target(ctx.session, Meeting.branch_id == ctx.member.branch_id, ctx.settings.meetings,
                                 now=ctx.now)
    if meeting is None:
        return None  # no meeting just minuted or in progress: the common router answers
    return attach_photo(msg, ctx, meeting)


def attach_photo(msg: Inbound, ctx: Context, meeting: Meeting) -> str:
    """The photo goes on `meeting` (downloaded later by the worker); the reply says how many it has."""
    media.attach_photo(ctx.session, meeting, inbound_id=ctx.inbound_id, media_id=msg.raw.get("MediaId", ""),
                       pic_url=msg.raw.get("PicUrl", ""), now=ctx.now)
    count = svc.photo_counts(ctx.session, [meeting.id]).get(meeting.id, 0)
    return t.PHOTO_OK.format(number=meeting.number, kind=kind_of(ctx, meeting), when=when_of(ctx, meeting), count=count)


# --- status and the office ------------------------------------------------------------

def _today(ctx: Context):
    return ctx.now.astimezone(ctx.settings.tz).date()


@router.on(SECRETARY, command("组织生活"))
def branch_status(msg: Inbound, ctx: Context) -> str:
    lines = [t.STATUS_HEADER.format(branch=ctx.member.branch.name)]
    for kind in ctx.settings.meetings.branch_kinds:
        n = matrix.held(ctx.session, [ctx.member.branch_id], kind, _today(ctx), ctx.settings.tz).get(
            ctx.member.branch_id, 0)
        lines.append(t.STATUS_LINE.format(kind=kind.name, period=matrix.PERIOD_WORDS[kind.every], held=n,
                                          required=kind.minimum, mark="✔" if n >= kind.minimum else "✘"))
    year = _today(ctx).year
    plan = plans.progress_line(ctx.session, ctx.member.branch_id, year, ctx.settings, now=ctx.now, pairings=False)
    if plans.pairing_progress(ctx.session, ctx.member.branch_id, year):
        plan = (plan + "；" if plan else "") + t.PAIRING_PLAN_HINT.format(year=year)
    return "\n".join(lines + ([plan] if plan else []))


@router.on(OFFICE, command("未开展", "组织生活"))
def behind_branches(msg: Inbound, ctx: Context) -> str:
    kinds = ctx.settings.meetings.branch_kinds
    behind = matrix.missing(ctx.session, kinds, _today(ctx), ctx.settings.tz, consortium_id=ctx.member.consortium_id)
    period = f"{_today(ctx).year}年{_today(ctx).month}月"
    if not behind:
        return t.BEHIND_NONE.format(period=period)
    names = dict(ctx.session.execute(select(Branch.id, Branch.name).where(Branch.id.in_(list(behind)))).all())
    lines = [t.BEHIND_HEADER.format(period=period, count=len(behind))]
    lines += [t.BEHIND_LINE.format(branch=names[b], missing="；".join(m)) for b, m in sorted(behind.items())]
    return "\n".join(lines)


def _kind_line(msg: Inbound, ctx: Context) -> bool:
    """`支委会 2026-12-03 参加7`: a secretary describing a meeting without a command word."""
    if msg.msg_type not in ("text", "voice") or not msg.text:
        return False
    kind = ctx.settings.meetings.find(msg.text.split()[0])
    return kind is not None and kind.scope == "branch"


@router.on(SECRETARY, _kind_line)
def kind_line_hint(msg: Inbound, ctx: Context) -> str:
    return t.KIND_LINE_HINT.format(example=t.MEETING_EXAMPLE, record=t.RECORD_EXAMPLE)


def help_section(ctx: Context) -> str:
    """What a person may do in organisational life, for 帮助 (handlers.common)."""
    text = ""
    if ctx.member.role == "secretary":
        text += t.HELP_SECRETARY
    elif ctx.member.role in ("office", "admin"):
        text += t.HELP_OFFICE
    if ctx.member.role == "party_member" or (ctx.member.bound and roster.member_of(ctx.session, ctx.member)):
        text += t.HELP_PARTY_MEMBER
    return text
