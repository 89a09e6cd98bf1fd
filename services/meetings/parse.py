"""Parse one meeting line: ``支委会 12月18日 15:00 三楼会议室 学习十二月中心组材料``.

The kind comes first (a name or alias from `meetings.kinds`); then, in any order, the date
(2026-12-18, 12-18, 12月18日, 今天, 明天, 后天), the time (15:00, 15点, 15点30, 下午3点),
for 党小组会 the group (a group of the branch's roster); the first other word is the place
and the rest the topic. `补录` lines may end with ``到：张三、李四 请假：王五``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.config.meetings import MeetingKind, MeetingsConf

FULL_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
SHORT_DATE = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})[日号]?")
TIME = re.compile(r"^(上午|下午|晚上)?(\d{1,2})(?:[:：](\d{2})|点(半|(\d{1,2})分?)?)$")
RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "昨天": -1, "前天": -2}
SECTIONS = re.compile(r"(实到|到会|参加|出席|请假|缺席|到)[:：]")
NAME_SPLIT = re.compile(r"[、,，;；\s]+")


class MeetingError(Exception):
    """A refused meeting action; `code` picks the Chinese text, `info` fills it."""

    def __init__(self, code: str, **info):
        self.code, self.info = code, info
        super().__init__(code)


@dataclass
class ParsedMeeting:
    kind: MeetingKind
    starts_at: datetime
    place: str = ""
    title: str = ""
    group: str = ""
    present: list[str] = field(default_factory=list)
    leave: list[str] = field(default_factory=list)


def parse_date(token: str, today: date) -> tuple[date | None, str]:
    """A date word (2027-01-15, 1月15日, 明天 ...) at the start of `token`; MeetingError("bad_date") if impossible."""
    return _date(token, today)


def _date(token: str, today: date) -> tuple[date | None, str]:
    """(date, what is left of the token) or (None, token)."""
    if token in RELATIVE:
        return today + timedelta(days=RELATIVE[token]), ""
    for pattern, full in ((FULL_DATE, True), (SHORT_DATE, False)):
        m = pattern.match(token)
        if m:
            y, mo, d = (int(m.group(1)), int(m.group(2)), int(m.group(3))) if full else \
                (today.year, int(m.group(1)), int(m.group(2)))
            try:
                day = date(y, mo, d)
            except ValueError:
                raise MeetingError("bad_date", token=token) from None
            if not full and day < today - timedelta(days=180):
                day = day.replace(year=y + 1)  # 1月5日 written in December
            return day, token[m.end():]
    return None, token


def _time(token: str) -> tuple[int, int] | None:
    m = TIME.match(token)
    if not m:
        return None
    hour = int(m.group(2))
    minute = int(m.group(3) or (30 if m.group(4) == "半" else m.group(5) or 0))
    if m.group(1) in ("下午", "晚上") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise MeetingError("bad_time", token=token)
    return hour, minute


def _names(text: str) -> list[str]:
    return [n for n in NAME_SPLIT.split(text.strip()) if n]


def parse_line(text: str, conf: MeetingsConf, *, now: datetime, tz: ZoneInfo,
               groups: tuple[str, ...] = (), scope: str = "branch") -> ParsedMeeting:
    """MeetingError: no_kind / bad_kind / no_date / bad_date / no_time / bad_time. `scope`: which kinds count."""
    head, *rest = SECTIONS.split(text.strip())
    tokens = head.split()
    if not tokens:
        raise MeetingError("no_kind")
    kind = conf.find(tokens[0])
    if kind is None or kind.scope != scope:
        raise MeetingError("bad_kind", word=tokens[0])
    today = now.astimezone(tz).date()
    day, hm, group, words = None, None, "", []
    for token in tokens[1:]:
        if day is None:
            found, token = _date(token, today)
            if found is not None:
                day = found
                if not token:
                    continue
        if hm is None and (t := _time(token)) is not None:
            hm = t
        elif not group and token in groups:
            group = token
        else:
            words.append(token)
    if day is None:
        raise MeetingError("no_date", kind=kind.name)
    if hm is None:
        raise MeetingError("no_time", kind=kind.name)
    parsed = ParsedMeeting(kind=kind, starts_at=datetime(day.year, day.month, day.day, *hm, tzinfo=tz),
                           place=(words[0] if words else "")[:128], title=" ".join(words[1:]), group=group)
    for marker, names in zip(rest[::2], rest[1::2]):
        (parsed.leave if marker == "请假" else parsed.present if marker != "缺席" else []).extend(_names(names))
    return parsed
