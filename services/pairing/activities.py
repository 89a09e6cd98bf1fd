"""Activity records (义诊, 讲座 ...) from WeChat: parse one line, draft -> 确认 -> recorded; photos.

One line, tokens in any order after the type:
``义诊 2026-12-05 白沙村卫生室 接诊120 血压80 心电图30 资料200``. The date may be
2026-12-05, 12-05, 12月5日, 今天 or 昨天; the unit its name, a short form (白沙村) or
its code; counts are a label followed by a number. Words that are none of these
become the note (the topic). Mistakes raise ActivityError naming the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.org import Pairing, Person, Unit
from models.pairing import Activity, ActivityDraft, ActivityPhoto
from models.task import Task
from services.pairing.agreements import KIND_LABELS
from services.shared import periods

KIND_WORDS = {"义诊": "clinic", "讲座": "lecture", "健康讲座": "lecture", "培训": "training", "业务交流": "exchange",
              "交流": "exchange", "联合党日": "party_day", "联合主题党日": "party_day", "主题党日": "party_day",
              "需求调查": "survey", "需求调研": "survey", "调研": "survey", "办实事": "deed", "实事": "deed",
              "其他": "other", "其它": "other"}
COUNT_WORDS = (("义诊人次", "people"), ("接诊", "people"), ("服务", "people"), ("诊疗", "people"), ("人次", "people"),
               ("血压", "bp"), ("血糖", "glucose"), ("心电图", "ecg"), ("心电", "ecg"), ("B超", "ultrasound"),
               ("彩超", "ultrasound"), ("超声", "ultrasound"), ("宣传资料", "leaflets"), ("资料", "leaflets"),
               ("宣传册", "leaflets"), ("参加", "attendees"), ("参训", "attendees"), ("听众", "attendees"),
               ("人数", "attendees"))
COUNT_LABELS = {"people": ("接诊", "人次"), "bp": ("血压", "人"), "glucose": ("血糖", "人"), "ecg": ("心电图", "人"),
                "ultrasound": ("B超", "人"), "leaflets": ("资料", "份"), "attendees": ("参加", "人")}
VALUE = re.compile(r"^[:：=]?(\d{1,6})(人次|人|份|次|例|张|本)?$")
FULL_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$")
SHORT_DATE = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})[日号]?$")
UNIT_SUFFIXES = ("卫生院", "卫生室", "服务中心", "服务站", "社区", "医院", "村", "镇", "乡")
RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
FUTURE_DAYS, PAST_DAYS, PHOTO_MINUTES = 7, 366, 30


class ActivityError(Exception):
    """A line that cannot be recorded; `field` is the Chinese field name, `code` picks the text."""

    def __init__(self, code: str, field: str, **info):
        self.code, self.field, self.info = code, field, {"field": field, **info}
        super().__init__(f"{code}: {field}")


@dataclass
class ParsedActivity:
    kind: str
    held_on: date
    unit_id: int
    unit: str
    pairing_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def to_data(self, source: str) -> dict:
        return {"kind": self.kind, "held_on": self.held_on.isoformat(), "unit_id": self.unit_id, "unit": self.unit,
                "pairing_id": self.pairing_id, "counts": self.counts, "note": self.note, "source": source,
                "photos": []}


def kind_of(word: str) -> str | None:
    return KIND_WORDS.get(word)


def _parse_date(token: str, today: date) -> date | None:
    """A date token, or None if the token is no date at all; ActivityError if it is a wrong one."""
    if token in RELATIVE_DAYS:
        return today - timedelta(days=RELATIVE_DAYS[token])
    m = FULL_DATE.match(token)
    parts = (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    if parts is None and (m := SHORT_DATE.match(token)):
        parts = (today.year, int(m.group(1)), int(m.group(2)))
    if parts is None:
        return None
    try:
        day = date(*parts)
    except ValueError:
        raise ActivityError("bad_date", "日期", value=token) from None
    if not FULL_DATE.match(token) and day > today + timedelta(days=FUTURE_DAYS):
        day = day.replace(year=day.year - 1)  # "12-30" written on 1 January
    if day > today + timedelta(days=FUTURE_DAYS):
        raise ActivityError("future_date", "日期", value=day.isoformat(), days=FUTURE_DAYS)
    if day < today - timedelta(days=PAST_DAYS):
        raise ActivityError("old_date", "日期", value=day.isoformat())
    return day


def _parse_count(token: str) -> tuple[str, int] | None:
    """("bp", 80) for 血压80; None if the token starts with no count label; ActivityError on a bad number."""
    token = token.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    for word, key in COUNT_WORDS:
        if token.upper().startswith(word.upper()):
            m = VALUE.match(token[len(word):])
            if not m:
                raise ActivityError("bad_count", word, value=token[len(word):] or "（空）")
            return key, int(m.group(1))
    return None


def _unit_names(unit: Unit) -> set[str]:
    names = {unit.code.lower(), unit.name}
    for suffix in ("卫生院", "卫生室", "社区卫生服务中心", "卫生服务中心"):
        if unit.name.endswith(suffix) and len(unit.name) > len(suffix) + 1:
            names.add(unit.name[:-len(suffix)])
    return names


def _find_unit(token: str, units: list[Unit]) -> Unit | None:
    key = token.strip().lower()
    return next((u for u in units if key in _unit_names(u)), None)


def parse_line(session: Session, person: Person, text: str, *, now: datetime, tz: ZoneInfo) -> ParsedActivity:
    """Parse an activity line for the secretary's branch; raises ActivityError naming the field."""
    tokens = text.replace("\u3000", " ").replace("，", " ").replace(",", " ").split()
    if not tokens or kind_of(tokens[0]) is None:
        raise ActivityError("bad_kind", "类型", value=tokens[0] if tokens else "")
    kind, today = kind_of(tokens[0]), now.astimezone(tz).date()
    units = list(session.scalars(select(Unit).where(Unit.consortium_id == person.consortium_id).order_by(Unit.id)))
    paired = {p.unit_id: p.id for p in session.scalars(select(Pairing).where(Pairing.branch_id == person.branch_id))}
    held_on, unit, counts, note = None, None, {}, []
    for token in tokens[1:]:
        if held_on is None and (day := _parse_date(token, today)) is not None:
            held_on = day
        elif unit is None and (found := _find_unit(token, units)) is not None:
            unit = found
        elif (count := _parse_count(token)) is not None:
            counts[count[0]] = counts.get(count[0], 0) + count[1]
        elif unit is None and token.endswith(UNIT_SUFFIXES):
            raise ActivityError("unknown_unit", "单位", value=token)
        else:
            note.append(token)
    if held_on is None:
        raise ActivityError("no_date", "日期")
    if unit is None:
        own = [u for u in units if u.id in paired]
        if len(own) != 1:
            raise ActivityError("no_unit", "单位", paired="、".join(u.name for u in own) or "无")
        unit = own[0]
    return ParsedActivity(kind, held_on, unit.id, unit.name, paired.get(unit.id), counts, " ".join(note)[:200])


# --- drafts ------------------------------------------------------------------------

def pending_draft(session: Session, person: Person) -> ActivityDraft | None:
    return session.scalar(select(ActivityDraft).where(ActivityDraft.person_id == person.id))


def _save(session: Session, person: Person, stage: str, data: dict, *, now: datetime) -> ActivityDraft:
    session.execute(delete(ActivityDraft).where(ActivityDraft.person_id == person.id))
    draft = ActivityDraft(person_id=person.id, stage=stage, data=data, created_at=now)
    session.add(draft)
    session.flush()
    return draft


def start_guided(session: Session, person: Person, *, now: datetime) -> ActivityDraft:
    """`活动`: the secretary's next message is the activity line."""
    return _save(session, person, "collecting", {}, now=now)


def draft_from_line(session: Session, person: Person, text: str, *, now: datetime,
                    tz: ZoneInfo) -> tuple[ActivityDraft, ParsedActivity]:
    """Parse and keep as a draft awaiting 确认 (nothing recorded); ActivityError leaves the old draft."""
    parsed = parse_line(session, person, text, now=now, tz=tz)
    return _save(session, person, "confirm", parsed.to_data(text.strip()), now=now), parsed


def cancel(session: Session, person: Person) -> bool:
    return bool(session.execute(delete(ActivityDraft).where(ActivityDraft.person_id == person.id)).rowcount)


def confirm(session: Session, person: Person, *, now: datetime) -> Activity | None:
    """Record the pending draft (and photos sent with it); None if there is none awaiting 确认."""
    draft = pending_draft(session, person)
    if draft is None or draft.stage != "confirm":
        return None
    d = draft.data
    activity = Activity(consortium_id=person.consortium_id, branch_id=person.branch_id, unit_id=d["unit_id"],
                        pairing_id=d.get("pairing_id"), kind=d["kind"], held_on=date.fromisoformat(d["held_on"]),
                        counts=dict(d.get("counts") or {}), note=d.get("note", ""), source=d.get("source", ""),
                        recorded_by_id=person.id, created_at=now)
    session.add(activity)
    session.flush()
    for photo in d.get("photos") or []:
        session.add(ActivityPhoto(activity_id=activity.id, inbound_id=photo.get("inbound_id"),
                                  media_id=photo.get("media_id", ""), pic_url=photo.get("pic_url", ""),
                                  created_at=now))
    session.delete(draft)
    session.flush()
    return activity


def attach_photo(session: Session, person: Person, *, inbound_id: int | None, media_id: str, pic_url: str,
                 now: datetime) -> str | Activity | None:
    """A photo right after an activity: to the draft awaiting 确认 ("draft"), else to the activity this
    person recorded within PHOTO_MINUTES; None if there is neither."""
    draft = pending_draft(session, person)
    if draft is not None and draft.stage == "confirm":
        photo = {"inbound_id": inbound_id, "media_id": media_id[:128], "pic_url": pic_url}
        draft.data = {**draft.data, "photos": [*(draft.data.get("photos") or []), photo]}
        session.flush()
        return "draft"
    activity = session.scalars(select(Activity).where(Activity.recorded_by_id == person.id,
                                                      Activity.created_at >= now - timedelta(minutes=PHOTO_MINUTES))
                               .order_by(Activity.id.desc())).first()
    if activity is None:
        return None
    session.add(ActivityPhoto(activity_id=activity.id, inbound_id=inbound_id, media_id=media_id[:128],
                              pic_url=pic_url, created_at=now))
    session.flush()
    return activity


def photo_count(session: Session, activity_id: int) -> int:
    return session.scalar(select(func.count(ActivityPhoto.id)).where(ActivityPhoto.activity_id == activity_id)) or 0


# --- reading -----------------------------------------------------------------------

def counts_text(counts: dict) -> str:
    return "；".join(f"{COUNT_LABELS[k][0]} {v} {COUNT_LABELS[k][1]}" for k, v in counts.items() if k in COUNT_LABELS)


def activities_of(session: Session, consortium_id: int, *, start: date, end: date,
                  branch_id: int | None = None) -> list[Activity]:
    """Activities held in [start, end] of a consortium (or one branch), oldest first."""
    query = (select(Activity).where(Activity.consortium_id == consortium_id, Activity.held_on >= start,
                                    Activity.held_on <= end).order_by(Activity.held_on, Activity.id))
    if branch_id is not None:
        query = query.where(Activity.branch_id == branch_id)
    return list(session.scalars(query))


def resolved_for_paired_units(session: Session, branch_id: int, start: datetime, end: datetime) -> list[Task]:
    """Tasks the branch resolved in [start, end) for units it is paired with."""
    units = select(Pairing.unit_id).where(Pairing.branch_id == branch_id)
    return list(session.scalars(select(Task).where(Task.branch_id == branch_id, Task.status == "resolved",
                                                   Task.resolved_at >= start, Task.resolved_at < end,
                                                   Task.unit_id.in_(units)).order_by(Task.id)))


def report_prefill(session: Session, branch_id: int, consortium_id: int, period: str, *,
                   tz: ZoneInfo) -> tuple[str, list[str]]:
    """The month's activities and resolved tasks as 月报 free-format text (what services.reports parses)
    and one line per item for the reply; ("", []) when there is nothing to pre-fill."""
    start, end = periods.month_days(period)
    rows = activities_of(session, consortium_id, start=start, end=end, branch_id=branch_id)
    tasks = resolved_for_paired_units(session, branch_id, datetime.combine(start, datetime.min.time(), tz),
                                      datetime.combine(end + timedelta(days=1), datetime.min.time(), tz))
    if not rows and not tasks:
        return "", []
    clinics = [a for a in rows if a.kind == "clinic"]
    parts = [f"结对活动{len(rows)}次"]
    if clinics:
        parts.append(f"义诊{len(clinics)}次服务{sum(a.counts.get('people', 0) for a in clinics)}人次")
    for kind, word, unit in (("training", "培训", "场"), ("lecture", "讲座", "次")):
        n = sum(a.kind == kind for a in rows)
        if n:
            parts.append(f"{word}{n}{unit}")
    if tasks:
        parts.append(f"解决问题{len(tasks)}个")
    lines = [f"{a.held_on.month}月{a.held_on.day}日 {KIND_LABELS[a.kind]} {a.unit.name}"
             + (f"（{counts_text(a.counts)}）" if a.counts else "") for a in rows]
    lines += [f"办结 {t.number} {t.unit.name if t.unit else ''}：{t.text[:20]}" for t in tasks]
    return "，".join(parts), lines
