"""联席会议 in WeChat: the office schedules one (`会议 联席会议 12月28日 14:00 地点 主题`, invitees notified)
or lists them (`会议`); a member unit's contact adds a topic to the next one (`议题 内容`)."""
from __future__ import annotations

from core.wechat import Inbound
from handlers import joint_texts as t
from handlers.joint import joint_errors
from handlers.meetings import meeting_errors
from handlers.router import Context, Router, command, role
from services.joint import agenda

router = Router("joint_agenda")
OFFICE = role("office", "admin")


def _joint_line(msg: Inbound, ctx: Context) -> bool:
    """`会议 联席会议 …`: the word after 会议 names a consortium-level kind."""
    words = (msg.text or "").split()
    kind = ctx.settings.meetings.find(words[1]) if len(words) > 1 else None
    return kind is not None and kind.scope == "consortium"


@router.on(OFFICE, command("会议"), _joint_line)
@meeting_errors
def schedule_joint(msg: Inbound, ctx: Context) -> str:
    meeting, notified = agenda.schedule(ctx.session, ctx.member, ctx.args["rest"], ctx.settings.meetings,
                                        now=ctx.now, tz=ctx.settings.tz, sandbox=ctx.sandbox)
    kind = ctx.settings.meetings.kind(meeting.kind)
    return t.JOINT_SCHEDULED.format(number=meeting.number, kind=kind.name, when=agenda.meeting_svc.when_text(
        meeting, ctx.settings.tz), place=meeting.place or "待定", title=meeting.title or kind.name, notified=notified)


@router.on(OFFICE, command("会议"))
def list_joint(msg: Inbound, ctx: Context) -> str | None:
    if ctx.args["rest"]:
        return None
    rows = agenda.joint_meetings(ctx.session, ctx.member.consortium_id, ctx.settings.meetings, limit=5)
    if not rows:
        return t.JOINT_EMPTY
    return "\n".join([t.JOINT_HEADER] + [t.JOINT_LINE.format(
        number=m.number, when=agenda.meeting_svc.when_text(m, ctx.settings.tz), place=m.place or "待定",
        title=m.title) for m in rows])


@router.on(command("议题"))
@joint_errors
def add_topic(msg: Inbound, ctx: Context) -> str:
    topic = agenda.add_topic(ctx.session, ctx.member, ctx.args["rest"], ctx.settings.meetings, now=ctx.now)
    meeting = ctx.session.get(agenda.Meeting, topic.meeting_id)
    return t.TOPIC_ADDED.format(number=meeting.number, when=agenda.meeting_svc.when_text(meeting, ctx.settings.tz))
