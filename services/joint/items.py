"""督办事项: create from a joint meeting's decision, progress, complete, confirm, reopen, link a request.

`督办 后勤党支部 2027-01-15 为白沙镇卫生院检修B超机` -> D-2026-0001 owned by a branch (its
secretaries act) or a member unit (its contact acts), due that day, from the latest 联席会议.
Functions flush, never commit; refusals raise JointError(code, **info).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.joint import JointItem, JointLink, JointNote
from models.org import Branch, Person, Unit
from models.party import Meeting
from models.task import Task
from services.joint import contacts
from services.joint import notices as texts
from services.meetings.parse import MeetingError, parse_date
from services.messages import outbox
from services.org import structure as org
from services.shared import counters

NUMBER = re.compile(r"^D-\d{4}-\d{4,}$", re.I)
KIND = "joint"


class JointError(Exception):
    """A refused 督办 action; `code` picks the Chinese text, `info` fills it."""

    def __init__(self, code: str, **info):
        self.code, self.info = code, info
        super().__init__(code)


@dataclass(frozen=True)
class Owner:
    branch: Branch | None = None
    unit: Unit | None = None

    @property
    def name(self) -> str:
        return self.branch.name if self.branch else self.unit.name


def find_owner(session: Session, consortium_id: int, word: str) -> Owner | None:
    branch = org.find_branch(session, consortium_id, word)
    if branch is not None:
        return Owner(branch=branch)
    unit = session.scalar(select(Unit).where(Unit.consortium_id == consortium_id,
                                             or_(Unit.name == word, Unit.code == word.upper())))
    return Owner(unit=unit) if unit is not None else None


def parse_line(session: Session, consortium_id: int, text: str, *, today: date) -> tuple[Owner, date, str]:
    """`<owner> <due> <what>`: each part missing or wrong is its own refusal."""
    words = text.split()
    if not words:
        raise JointError("usage")
    owner = find_owner(session, consortium_id, words[0])
    if owner is None:
        raise JointError("no_owner", word=words[0])
    try:
        due, left = parse_date(words[1], today) if len(words) > 1 else (None, "")
    except MeetingError:
        due, left = None, "bad"
    if due is None or left:
        raise JointError("no_due", owner=owner.name)
    if due < today:
        raise JointError("past_due", due=due.isoformat())
    title = " ".join(words[2:]).strip()
    if not title:
        raise JointError("no_title", owner=owner.name, due=due.isoformat())
    return owner, due, title


def latest_joint_meeting(session: Session, consortium_id: int, conf: MeetingsConf, *,
                         now: datetime) -> Meeting | None:
    codes = [k.code for k in conf.kinds if k.scope == "consortium"]
    if not codes:
        return None
    return session.scalars(select(Meeting).where(Meeting.consortium_id == consortium_id, Meeting.kind.in_(codes),
                                                 Meeting.status == "scheduled", Meeting.starts_at <= now)
                           .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1)).first()


def next_number(session: Session, year: int) -> str:
    return f"D-{year}-{counters.take_next(session, f'joint-{year}'):04d}"


def owner_people(session: Session, item: JointItem) -> list[Person]:
    """Who acts for the owner: the branch's secretaries, or the unit's contact."""
    if item.owner_branch_id:
        return org.branch_staff(session, item.owner_branch_id)
    contact = contacts.contact_of(session, item.owner_unit_id)
    return [contact] if contact is not None else []


def notify(session: Session, people: list[Person], text: str, item: JointItem, *, now: datetime,
           sandbox: bool) -> int:
    for person in people:
        outbox.enqueue(session, person.openid, KIND, text, now=now, sandbox=sandbox, payload={"item": item.number})
    return len(people)


def record(session: Session, person: Person, owner: Owner, due: date, title: str, *, now: datetime,
           meeting: Meeting | None) -> JointItem:
    """The item alone, without notices (create() notifies; demo data uses this)."""
    item = JointItem(number=next_number(session, now.year), consortium_id=person.consortium_id, title=title,
                     owner_branch_id=owner.branch.id if owner.branch else None,
                     owner_unit_id=owner.unit.id if owner.unit else None, due=due,
                     meeting_id=meeting.id if meeting else None, status="open", created_by_id=person.id,
                     created_at=now)
    session.add(item)
    session.flush()
    _note(session, item, person, "create", title, now=now)
    return item


def create(session: Session, person: Person, owner: Owner, due: date, title: str, conf: MeetingsConf, *,
           now: datetime, sandbox: bool, meeting: Meeting | None = None) -> JointItem:
    """The item (from the latest 联席会议 unless given), and a notice to whoever acts for the owner."""
    meeting = meeting or latest_joint_meeting(session, person.consortium_id, conf, now=now)
    item = record(session, person, owner, due, title, now=now, meeting=meeting)
    source = texts.ITEM_FROM_MEETING.format(meeting=meeting.number) if meeting else ""
    notify(session, owner_people(session, item), texts.ITEM_ASSIGNED.format(
        number=item.number, office=person.office_name, owner=owner.name, title=title, due=due.isoformat(),
        meeting=source), item, now=now, sandbox=sandbox)
    return item


def find(session: Session, number: str, consortium_id: int | None = None) -> JointItem:
    number = (number or "").strip().upper()
    item = session.scalar(select(JointItem).where(JointItem.number == number)) if NUMBER.match(number) else None
    if item is None or (consortium_id is not None and item.consortium_id != consortium_id):
        raise JointError("not_found", number=number or "D-…")
    return item


def is_owner(session: Session, person: Person, item: JointItem) -> bool:
    return any(p.id == person.id for p in owner_people(session, item))


def _note(session: Session, item: JointItem, person: Person | None, action: str, text: str, *,
          now: datetime) -> JointNote:
    note = JointNote(item_id=item.id, author_id=person.id if person else None, action=action, text=text,
                     created_at=now)
    session.add(note)
    session.flush()
    return note


def _own(session: Session, person: Person, number: str) -> JointItem:
    item = find(session, number, person.consortium_id)
    if not is_owner(session, person, item):
        raise JointError("not_owner", number=item.number, owner=item.owner_name)
    return item


def progress(session: Session, person: Person, number: str, text: str, *, now: datetime) -> JointItem:
    item = _own(session, person, number)
    if not text:
        raise JointError("progress_usage", number=item.number)
    if not item.is_open:
        raise JointError("closed", number=item.number)
    _note(session, item, person, "progress", text, now=now)
    return item


def complete(session: Session, person: Person, number: str, text: str, *, now: datetime,
             sandbox: bool) -> JointItem:
    item = _own(session, person, number)
    if not text:
        raise JointError("done_usage", number=item.number)
    if not item.is_open:
        raise JointError("closed", number=item.number)
    item.status, item.done_at, item.done_note = "done", now, text
    _note(session, item, person, "done", text, now=now)
    notify(session, org.office_staff(session, item.consortium_id), texts.ITEM_DONE_OFFICE.format(
        number=item.number, owner=item.owner_name, title=item.title, note=text), item, now=now, sandbox=sandbox)
    return item


def confirm(session: Session, person: Person, number: str, *, now: datetime, sandbox: bool) -> JointItem:
    item = find(session, number, person.consortium_id)
    if item.status != "done":
        raise JointError("not_done", number=item.number)
    item.status, item.confirmed_at = "confirmed", now
    _note(session, item, person, "confirm", "", now=now)
    notify(session, owner_people(session, item), texts.ITEM_CONFIRMED.format(number=item.number, title=item.title),
           item, now=now, sandbox=sandbox)
    return item


def reopen(session: Session, person: Person, number: str, reason: str, *, now: datetime,
           sandbox: bool) -> JointItem:
    item = find(session, number, person.consortium_id)
    if item.is_open:
        raise JointError("still_open", number=item.number)
    if not reason:
        raise JointError("reopen_usage", number=item.number)
    item.status, item.done_at, item.confirmed_at = "reopened", None, None
    _note(session, item, person, "reopen", reason, now=now)
    notify(session, owner_people(session, item), texts.ITEM_REOPENED.format(
        number=item.number, title=item.title, reason=reason), item, now=now, sandbox=sandbox)
    return item


def link(session: Session, person: Person, number: str, task_number: str, *, now: datetime) -> tuple[JointItem, Task]:
    item = find(session, number, person.consortium_id)
    if person.role not in ("office", "admin") and not is_owner(session, person, item):
        raise JointError("not_owner", number=item.number, owner=item.owner_name)
    task = session.scalar(select(Task).where(Task.number == task_number.strip().upper(),
                                             Task.consortium_id == item.consortium_id))
    if task is None:
        raise JointError("no_task", task=task_number.strip() or "T-…")
    if session.scalar(select(JointLink).where(JointLink.item_id == item.id, JointLink.task_id == task.id)) is None:
        session.add(JointLink(item_id=item.id, task_id=task.id, created_at=now))
        _note(session, item, person, "link", task.number, now=now)
    return item, task


def is_overdue(item: JointItem, today: date) -> bool:
    return item.is_open and item.due < today


def closed_on_time(item: JointItem, tz: ZoneInfo) -> bool:
    return item.done_at is not None and item.status in ("done", "confirmed") and \
        item.done_at.astimezone(tz).date() <= item.due
