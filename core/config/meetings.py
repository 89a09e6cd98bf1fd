"""`meetings:`: the kinds of organisational-life meetings (三会一课 ...), their minimum
frequencies, who attends, which reminder schedules check them, and the sign-in window.

```yaml
meetings:
  checkin_before_minutes: 30       # 签到 opens this long before the start ...
  checkin_after_minutes: 120       # ... and closes this long after it
  photo_minutes: 30                # photos within this long after 纪要 go to that meeting
  kinds:
    - {code: committee, name: 支委会, aliases: [支部委员会], every: month, minimum: 1,
       attendees: committee, remind: [branch_committee]}
```
`every`: month | quarter | year; `attendees`: all | committee | group | joint;
`scope`: branch (default) | consortium; `remind` names schedules of kind `meetings` (names absent from `schedules:` are dropped).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping

from core.config.errors import ConfigError
from core.config.readers import choice, get, int_in, section, str_list

CODE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
EVERY = ("month", "quarter", "year")
ATTENDEES = ("all", "committee", "group", "joint")
SCOPES = ("branch", "consortium")


@dataclass(frozen=True)
class MeetingKind:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    every: str = "month"
    minimum: int = 1
    attendees: str = "all"
    scope: str = "branch"
    remind: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class MeetingsConf:
    kinds: tuple[MeetingKind, ...] = ()
    checkin_before_minutes: int = 30
    checkin_after_minutes: int = 120
    photo_minutes: int = 30

    def kind(self, code: str) -> MeetingKind | None:
        return next((k for k in self.kinds if k.code == code), None)

    def find(self, word: str) -> MeetingKind | None:
        """The kind a word names (its name or an alias)."""
        return next((k for k in self.kinds if word in k.words), None)

    @property
    def branch_kinds(self) -> tuple[MeetingKind, ...]:
        return tuple(k for k in self.kinds if k.scope == "branch")

    def reminded_by(self, schedule: str) -> tuple[MeetingKind, ...]:
        return tuple(k for k in self.kinds if schedule in k.remind)


def _kind(raw: Mapping, where: str) -> MeetingKind:
    code = get(raw, "code", where, str)
    if not CODE.match(code):
        raise ConfigError(f"{where}code", f"expected [a-z][a-z0-9_], got {code!r}")
    return MeetingKind(code=code, name=get(raw, "name", where, str).strip(),
                       aliases=str_list(raw, "aliases", where),
                       every=choice(raw, "every", where, EVERY, "month"),
                       minimum=int_in(raw, "minimum", where, 1, 0, 31),
                       attendees=choice(raw, "attendees", where, ATTENDEES, "all"),
                       scope=choice(raw, "scope", where, SCOPES, "branch"),
                       remind=str_list(raw, "remind", where))


def parse_meetings(data: Mapping, schedules: Mapping[str, str]) -> MeetingsConf:
    """`schedules`: name -> kind of every schedule, to check each `remind` entry."""
    raw = section(data, "meetings")
    items = get(raw, "kinds", "meetings.", list, [])
    kinds, words = [], {}
    for i, item in enumerate(items):
        where = f"meetings.kinds[{i}]."
        if not isinstance(item, Mapping):
            raise ConfigError(f"meetings.kinds[{i}]", "expected a mapping")
        kind = _kind(item, where)
        if any(k.code == kind.code for k in kinds):
            raise ConfigError(f"{where}code", f"duplicate code {kind.code!r}")
        for word in kind.words:
            if word in words:
                raise ConfigError(f"{where}aliases", f"{word!r} already names {words[word]!r}")
            words[word] = kind.code
        for name in kind.remind:
            if name in schedules and schedules[name] != "meetings":
                raise ConfigError(f"{where}remind", f"{name!r} is a {schedules[name]} schedule, not kind meetings")
        kinds.append(replace(kind, remind=tuple(n for n in kind.remind if n in schedules)))
    return MeetingsConf(kinds=tuple(kinds),
                        checkin_before_minutes=int_in(raw, "checkin_before_minutes", "meetings.", 30, 0, 24 * 60),
                        checkin_after_minutes=int_in(raw, "checkin_after_minutes", "meetings.", 120, 0, 24 * 60),
                        photo_minutes=int_in(raw, "photo_minutes", "meetings.", 30, 1, 24 * 60))
