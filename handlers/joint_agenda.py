"""联席会议 in WeChat: the office schedules one (`会议 联席会议 12月28日 14:00 地点 主题`, invitees notified)
or lists them (`会议`), records its minutes (`纪要 …`) and photos; invitees sign in (`签到`, or its QR code)
or ask leave (`请假 原因`); a member unit's contact adds a topic to the next one (`议题 内容`). A 签到 or
请假 of someone with no 联席会议 to sign falls through to the branch meetings' router."""
from __future__ import annotations

from core.wechat import Inbound
from handlers import joint_texts as t
from handlers.joint import joint_errors
from handlers.meetings import attach_photo, kind_of, meeting_errors, when_of
from handlers.router import Context, Router, command, event, msg_type, role
from models.party import Meeting
from services.joint import agenda, attendance
from services.meetings import media, roster
from services.meetings.attendance import meeting_of_scene
from services.meetings.parse import MeetingError

router = Router("joint_agenda")
OFFICE = role("office", "admin")


def _codes(ctx: Context) -> list[str]:
    return agenda.joint_codes(ctx.settings.meetings)


def _signed(ctx: Context, meeting: Meeting, row) -> str:
    return t.JOINT_SIGNED.format(kind=kind_of(ctx, meeting), number=meeting.number, when=when_of(ctx, meeting),
                                 place=meeting.place or "待定",
                                 time=row.signed_at.astimezone(ctx.settings.tz).strftime("%H:%M"))


def _joint_line(msg: Inbound, ctx: Context) -> bool:
    """`会议 联席会议 …`: the word after 会议 names a consortium-level kind."""
    words = (msg.text or "").split()
    kind = ctx.settings.meetings.find(words[1]) if len(words) > 1 else None
    return kind is not None and kind.scope == "consortium"


@router.on(OFFICE, command("会议"), _joint_line)
@meeting_errors(example=t.JOINT_EXAMPLE)
def schedule_joint(msg: Inbound, ctx: Context) -> str:
    meeting, notified = agenda.schedule(ctx.session, ctx.member, ctx.args["rest"], ctx.settings.meetings,
                                        now=ctx.now, tz=ctx.settings.tz, sandbox=ctx.sandbox)
    kind = kind_of(ctx, meeting)
    return t.JOINT_SCHEDULED.format(number=meeting.number, kind=kind, when=when_of(ctx, meeting),
                                    place=meeting.place or "待定", title=meeting.title or kind, notified=notified)


@router.on(OFFICE, command("会议"))
def list_joint(msg: Inbound, ctx: Context) -> str | None:
    if ctx.args["rest"]:
        return None
    rows = agenda.joint_meetings(ctx.session, ctx.member.consortium_id, ctx.settings.meetings, limit=5)
    if not rows:
        return t.JOINT_EMPTY
    lines = [t.JOINT_HEADER]
    for m in rows:
        c = attendance.summarise(attendance.rows(ctx.session, m.id))
        lines.append(t.JOINT_LINE.format(number=m.number, when=when_of(ctx, m), place=m.place or "待定", title=m.title,
                                         expected=c.expected, present=c.present, leave=c.leave,
                                         minutes="，有纪要" if m.minutes else ""))
    return "\n".join(lines)


@router.on(OFFICE, command("取消会议"))
@meeting_errors(example=t.JOINT_EXAMPLE)
def cancel_joint(msg: Inbound, ctx: Context) -> str | None:
    """The office cancels a 联席会议 (a branch meeting's number: not the office's to cancel)."""
    words = ctx.args["rest"].split()
    if not words:
        return t.JOINT_CANCEL_USAGE
    meeting, notified = agenda.cancel(ctx.session, ctx.member.consortium, words[0], ctx.settings.meetings, now=ctx.now,
                                      tz=ctx.settings.tz, sandbox=ctx.sandbox)
    return t.JOINT_CANCELLED.format(number=meeting.number, kind=kind_of(ctx, meeting), when=when_of(ctx, meeting),
                                    notified=notified)


@router.on(command("议题"))
@joint_errors
def add_topic(msg: Inbound, ctx: Context) -> str:
    topic = agenda.add_topic(ctx.session, ctx.member, ctx.args["rest"], ctx.settings.meetings, now=ctx.now)
    meeting = ctx.session.get(agenda.Meeting, topic.meeting_id)
    return t.TOPIC_ADDED.format(number=meeting.number, when=when_of(ctx, meeting))


@router.on(command("签到"))
@meeting_errors
def sign_in(msg: Inbound, ctx: Context) -> str | None:
    """An invitee of a 联席会议 open for sign-in now; an invitee on no roster is told when the next one is;
    anyone else: the branch meetings' 签到."""
    agenda.list_unlisted(ctx.session, ctx.member.consortium_id, ctx.settings.meetings, now=ctx.now)
    meeting = attendance.open_meeting(ctx.session, ctx.member, ctx.settings.meetings, _codes(ctx), now=ctx.now)
    if meeting is None:
        upcoming = attendance.next_meeting(ctx.session, ctx.member, _codes(ctx), now=ctx.now)
        if upcoming is None or roster.member_of(ctx.session, ctx.member) is not None:
            return None
        raise MeetingError("no_open", next=upcoming)
    return _signed(ctx, meeting, attendance.sign_in(ctx.session, ctx.member, meeting, ctx.settings.meetings,
                                                    _codes(ctx), now=ctx.now))


@router.on(event("subscribe", "scan"))
@meeting_errors
def scan_scene(msg: Inbound, ctx: Context) -> str | None:
    """The QR code of a 联席会议 signs its invitee in; other scenes: the next routers."""
    meeting = meeting_of_scene(ctx.session, msg.scene or "")
    if meeting is None or meeting.kind not in _codes(ctx) or meeting.consortium_id != ctx.member.consortium_id:
        return None
    return _signed(ctx, meeting, attendance.sign_in(ctx.session, ctx.member, meeting, ctx.settings.meetings,
                                                    _codes(ctx), now=ctx.now, via="scan"))


@router.on(command("请假"))
@meeting_errors
def ask_leave(msg: Inbound, ctx: Context) -> str | None:
    agenda.list_unlisted(ctx.session, ctx.member.consortium_id, ctx.settings.meetings, now=ctx.now)
    found = attendance.ask_leave(ctx.session, ctx.member, ctx.args["rest"], _codes(ctx), now=ctx.now,
                                 conf=ctx.settings.meetings)
    if found is None:
        return None
    meeting, row = found
    return t.JOINT_LEAVE.format(kind=kind_of(ctx, meeting), number=meeting.number, when=when_of(ctx, meeting),
                                reason=row.reason)


@router.on(OFFICE, command("纪要"))
@meeting_errors
def add_minutes(msg: Inbound, ctx: Context) -> str:
    meeting = attendance.add_minutes(ctx.session, ctx.member, ctx.args["rest"], _codes(ctx), now=ctx.now)
    return t.JOINT_MINUTES.format(number=meeting.number, kind=kind_of(ctx, meeting), when=when_of(ctx, meeting),
                                  chars=len(meeting.minutes))


@router.on(OFFICE, msg_type("image"))
def meeting_photo(msg: Inbound, ctx: Context) -> str | None:
    meeting = media.photo_target(ctx.session, attendance.scope(ctx.member.consortium_id, _codes(ctx)),
                                 ctx.settings.meetings, now=ctx.now)
    return attach_photo(msg, ctx, meeting) if meeting is not None else None
