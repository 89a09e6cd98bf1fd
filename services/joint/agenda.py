"""联席会议 and its agenda: the office schedules a consortium-level meeting (invitees: the office, branch
secretaries, each member unit's contact); a draft agenda per unit lists open needs, requests open longer
than `joint.agenda_overdue_days` (or overdue), the last 联席会议's decided items with their status and
the topics units sent (`议题 …`); the office edits it and sends it. Functions flush, never commit."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.config.meetings import MeetingKind, MeetingsConf
from models.joint import STATUS_LABELS, AgendaTopic, JointAttendance, JointItem
from models.org import Consortium, Person, Unit
from models.party import Meeting
from models.task import OPEN_STATUSES, Task
from services.joint import attendance, contacts
from services.joint.items import JointError
from services.meetings import meetings as meeting_svc
from services.meetings.parse import MeetingError, parse_line
from services.messages import outbox
from services.org import structure as org
from services.pairing.agreements import needs_of

KIND = "reminder"
NOTICE = ("【联席会议通知】{consortium}{kind}\n时间：{when}\n地点：{place}\n内容：{title}\n编号：{number}\n"
          "成员单位如有需提交会议研究的事项，请在会前回复「议题 内容」。")
CANCELLED = "【联席会议取消】{consortium}原定{when}在{place}召开的{kind}（{number}）已取消。"
SENT_HEADER = "【联席会议议程】{number}\n"


def joint_kinds(conf: MeetingsConf) -> tuple[MeetingKind, ...]:
    return tuple(k for k in conf.kinds if k.scope == "consortium")


def joint_codes(conf: MeetingsConf) -> list[str]:
    return [k.code for k in joint_kinds(conf)]


def _joint(consortium_id: int, conf: MeetingsConf):
    """The consortium's 联席会议 not cancelled, as a condition on Meeting."""
    return attendance.scope(consortium_id, joint_codes(conf)) & (Meeting.status == "scheduled")


def invitees(session: Session, consortium_id: int) -> list[Person]:
    """The office, every branch's secretaries, each member unit's contact: bound people, once each."""
    people = org.office_staff(session, consortium_id)
    people += session.scalars(select(Person).where(Person.consortium_id == consortium_id,
                                                   Person.role == "secretary").order_by(Person.id)).all()
    people += sorted(contacts.contacts(session, consortium_id).values(), key=lambda p: p.id)
    seen, result = set(), []
    for person in people:
        if person.id not in seen and person.bound and person.openid:
            seen.add(person.id)
            result.append(person)
    return result


def create(session: Session, person: Person, kind: MeetingKind, starts_at: datetime, place: str, title: str, *,
           now: datetime, tz: ZoneInfo, sandbox: bool) -> tuple[Meeting, int]:
    """The meeting (no branch) and a notice to each invitee; returns (meeting, notified)."""
    if kind.scope != "consortium":
        raise MeetingError("bad_kind", word=kind.name)
    if starts_at < now:
        raise MeetingError("past", kind=kind.name)
    if starts_at > now + timedelta(days=meeting_svc.FUTURE_DAYS):
        raise MeetingError("too_far")
    meeting = Meeting(consortium_id=person.consortium_id, branch_id=None, kind=kind.code, title=title[:500],
                      place=place[:128], starts_at=starts_at, created_by_id=person.id, created_at=now)
    session.add(meeting)
    session.flush()
    text = NOTICE.format(consortium=person.consortium.name if person.consortium else "", kind=kind.name,
                         when=meeting_svc.when_text(meeting, tz), place=place or "待定", title=title or kind.name,
                         number=meeting.number)
    return meeting, _send(session, meeting, text, now=now, sandbox=sandbox)


def schedule(session: Session, person: Person, text: str, conf: MeetingsConf, *, now: datetime, tz: ZoneInfo,
             sandbox: bool) -> tuple[Meeting, int]:
    """`联席会议 12月28日 14:00 三楼会议室 第四季度联席会议` from the office."""
    parsed = parse_line(text, conf, now=now, tz=tz, scope="consortium")
    return create(session, person, parsed.kind, parsed.starts_at, parsed.place, parsed.title, now=now, tz=tz,
                  sandbox=sandbox)


def _send(session: Session, meeting: Meeting, text: str, *, now: datetime, sandbox: bool) -> int:
    """To today's invitees (a contact set after scheduling joins the meeting's list)."""
    people = invitees(session, meeting.consortium_id)
    attendance.invite(session, meeting, people)
    for person in people:
        outbox.enqueue(session, person.openid, KIND, text, now=now, sandbox=sandbox, payload={"meeting": meeting.id})
    return len(people)


def cancel(session: Session, consortium: Consortium, number: str, conf: MeetingsConf, *, now: datetime,
           tz: ZoneInfo, sandbox: bool) -> tuple[Meeting, int]:
    """`取消会议 M-…` from the office: a 联席会议 not yet begun; everyone on its list is told. MeetingError:
    joint_not_found, already_cancelled, cannot_cancel."""
    try:
        meeting = meeting_svc.find(session, number, consortium.id)
    except MeetingError:
        meeting = None
    if meeting is None or meeting.kind not in joint_codes(conf):
        raise MeetingError("joint_not_found", number=number.strip())
    if meeting.status == "cancelled":
        raise MeetingError("already_cancelled", number=meeting.number)
    if meeting.starts_at <= now:
        raise MeetingError("cannot_cancel", number=meeting.number)
    meeting.status, meeting.cancelled_at = "cancelled", now
    session.flush()
    kind = conf.kind(meeting.kind)
    text = CANCELLED.format(consortium=consortium.name, when=meeting_svc.when_text(meeting, tz),
                            place=meeting.place or "待定", kind=kind.name if kind else meeting.kind,
                            number=meeting.number)
    people = [row.person for row in attendance.rows(session, meeting.id) if row.person.bound and row.person.openid]
    for p in people:
        outbox.enqueue(session, p.openid, KIND, text, now=now, sandbox=sandbox, payload={"meeting": meeting.id})
    return meeting, len(people)


def list_unlisted(session: Session, consortium_id: int, conf: MeetingsConf, *, now: datetime) -> None:
    """A 联席会议 still to come (or open for sign-in) that has no list, as one scheduled before the list was
    kept (an upgrade), gets today's invitees as its list."""
    unlisted = session.scalars(select(Meeting).where(
        _joint(consortium_id, conf), Meeting.starts_at >= now - timedelta(minutes=conf.checkin_after_minutes),
        ~exists().where(JointAttendance.meeting_id == Meeting.id))).all()
    people = invitees(session, consortium_id) if unlisted else []
    for meeting in unlisted:
        attendance.invite(session, meeting, people)


def send_agenda(session: Session, meeting: Meeting, text: str, *, now: datetime, sandbox: bool) -> int:
    """The office's edited agenda to every invitee, kept on the meeting as sent; returns how many."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise JointError("agenda_empty")
    meeting.agenda, meeting.agenda_sent_at = text, now
    return _send(session, meeting, SENT_HEADER.format(number=meeting.number) + text, now=now, sandbox=sandbox)


def joint_meetings(session: Session, consortium_id: int, conf: MeetingsConf, *, limit: int = 20) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(_joint(consortium_id, conf))
                                .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit)))


def next_meeting(session: Session, consortium_id: int, conf: MeetingsConf, *, now: datetime) -> Meeting | None:
    return session.scalars(select(Meeting).where(_joint(consortium_id, conf), Meeting.starts_at > now)
                           .order_by(Meeting.starts_at, Meeting.id).limit(1)).first()


def previous_meeting(session: Session, meeting: Meeting, conf: MeetingsConf) -> Meeting | None:
    return session.scalars(select(Meeting).where(_joint(meeting.consortium_id, conf), Meeting.id != meeting.id,
                                                 Meeting.starts_at <= meeting.starts_at)
                           .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1)).first()


def add_topic(session: Session, person: Person, text: str, conf: MeetingsConf, *, now: datetime) -> AgendaTopic:
    """`议题 …` from a unit contact: a topic on the consortium's next 联席会议."""
    units = contacts.units_of(session, person)
    if not units:
        raise JointError("topic_not_contact")
    if not text.strip():
        raise JointError("topic_usage")
    meeting = next_meeting(session, person.consortium_id, conf, now=now)
    if meeting is None:
        raise JointError("topic_no_meeting")
    topic = AgendaTopic(meeting_id=meeting.id, unit_id=units[0].id, person_id=person.id, text=text.strip()[:1000],
                        created_at=now)
    session.add(topic)
    session.flush()
    return topic


def topics(session: Session, meeting_id: int) -> list[AgendaTopic]:
    return list(session.scalars(select(AgendaTopic).where(AgendaTopic.meeting_id == meeting_id)
                                .order_by(AgendaTopic.id)))


def _item_line(item: JointItem, today) -> str:
    status = "已超期" if item.is_open and item.due < today else STATUS_LABELS.get(item.status, item.status)
    return f"{item.number} {item.title}（{item.owner_name}，时限{item.due.isoformat()}）：{status}"


def sections(session: Session, settings: Settings, meeting: Meeting, *, now: datetime) -> list[tuple[str, list[str]]]:
    """Per unit (then the branches' items): (heading, lines); units with nothing to discuss are left out."""
    cid, today = meeting.consortium_id, now.astimezone(settings.tz).date()
    units = session.scalars(select(Unit).where(Unit.consortium_id == cid).order_by(Unit.id)).all()
    lines: dict[int, list[str]] = {u.id: [] for u in units}
    listed: set[int] = set()  # requests already shown as a need are not listed again as a request
    for need, task in needs_of(session, cid):
        if need.status == "open" and need.pairing.unit_id in lines:
            lines[need.pairing.unit_id].append(f"需求：{need.text}" + (f"（{task.number}，{task.status_label}）"
                                                                        if task else ""))
            listed.update([task.id] if task else [])
    since = now - timedelta(days=settings.joint.agenda_overdue_days)
    for task in session.scalars(select(Task).where(Task.consortium_id == cid, Task.unit_id.is_not(None),
                                                   Task.status.in_(OPEN_STATUSES),
                                                   or_(Task.overdue.is_(True), Task.created_at <= since))
                                .order_by(Task.id)):
        if task.id in listed:
            continue
        lines[task.unit_id].append(f"诉求：{task.number} {task.text}（{task.status_label}"
                                   + ("，已超期" if task.overdue else "") + "）")
    previous = previous_meeting(session, meeting, settings.meetings)
    branch_items = []
    for item in session.scalars(select(JointItem).where(JointItem.meeting_id == previous.id)
                                .order_by(JointItem.id)) if previous else []:
        (lines[item.owner_unit_id] if item.owner_unit_id in lines else branch_items).append(
            "上次议定：" + _item_line(item, today))
    for topic in topics(session, meeting.id):
        if topic.unit_id in lines:
            lines[topic.unit_id].append(f"单位议题：{topic.text}")
    result = [(u.name, lines[u.id]) for u in units if lines[u.id]]
    if branch_items:
        result.append(("各支部承办事项", branch_items))
    return result


NUMERALS = "一二三四五六七八九十"


def draft(session: Session, settings: Settings, meeting: Meeting, *, now: datetime) -> str:
    """The draft agenda as text the office edits before sending."""
    kind = settings.meetings.kind(meeting.kind)
    head = [f"{meeting.title or (kind.name if kind else '联席会议')}",
            f"时间：{meeting_svc.when_text(meeting, settings.tz)}　地点：{meeting.place or '待定'}"]
    body = []
    for i, (heading, lines) in enumerate(sections(session, settings, meeting, now=now)):
        number = NUMERALS[i] if i < len(NUMERALS) else str(i + 1)
        body.append(f"{number}、{heading}")
        body += [f"  {n}. {line}" for n, line in enumerate(lines, 1)]
    return "\n".join(head + (body or ["（暂无成员单位待议事项）"]))
