"""`rubric:` how a branch is scored (考核), and `joint:` the follow-up of joint meetings (督办).

```yaml
rubric:
  parts:                         # name: one of PARTS; weight: points at full marks; target: see PARTS
    - {name: meetings, weight: 20}           # 三会一课 held / required (ratio, target 1)
    - {name: rating, weight: 10, target: 4.5} # average rating of resolved requests (1..5)
joint:
  remind_before_days: 3          # working days before an item's due date: one reminder to the owner
  agenda_overdue_days: 7         # the draft agenda lists requests open longer than this
```
Every part's value is a ratio 0..1 (target 1) except `rating` (an average 1..5). A part scores
`weight * min(1, value / target)`; a part with nothing to count (no meetings required, no
requests) scores full marks and says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from core.config.errors import ConfigError
from core.config.readers import get, int_in, section

PARTS = {
    "meetings": "三会一课（已开/应开）",
    "attendance": "参会率",
    "reports": "月报按时报送",
    "requests": "诉求按期办结",
    "rating": "平均评价",
    "four_ones": "四个一完成",
    "items": "督办事项按期办结",
    "plan": "年度计划进度",
}
DEFAULT_PARTS = (("meetings", 20, 1), ("attendance", 10, 0.9), ("reports", 15, 1), ("requests", 15, 1),
                 ("rating", 10, 4.5), ("four_ones", 10, 1), ("items", 10, 1), ("plan", 10, 1))


@dataclass(frozen=True)
class RubricPart:
    name: str
    label: str
    weight: float
    target: float


@dataclass(frozen=True)
class RubricConf:
    parts: tuple[RubricPart, ...] = tuple(RubricPart(n, PARTS[n], w, t) for n, w, t in DEFAULT_PARTS)

    @property
    def total(self) -> float:
        return sum(p.weight for p in self.parts)


@dataclass(frozen=True)
class JointConf:
    remind_before_days: int = 3
    agenda_overdue_days: int = 7


def _number(raw: Mapping, key: str, where: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if value is None:
        raise ConfigError(f"{where}{key}", "missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{where}{key}", f"expected a number >= 0, got {value!r}")
    return float(value)


def parse_rubric(data: Mapping) -> RubricConf:
    raw = section(data, "rubric")
    if "parts" not in raw:
        return RubricConf()
    parts, defaults = [], {n: t for n, _, t in DEFAULT_PARTS}
    for i, item in enumerate(get(raw, "parts", "rubric.", list)):
        where = f"rubric.parts[{i}]."
        if not isinstance(item, Mapping):
            raise ConfigError(f"rubric.parts[{i}]", "expected a mapping")
        name = get(item, "name", where, str)
        if name not in PARTS:
            raise ConfigError(f"{where}name", f"expected one of {', '.join(PARTS)}, got {name!r}")
        if any(p.name == name for p in parts):
            raise ConfigError(f"{where}name", f"duplicate part {name!r}")
        target = _number(item, "target", where, defaults[name])
        if target == 0:
            raise ConfigError(f"{where}target", "expected a number > 0, got 0")
        parts.append(RubricPart(name, get(item, "label", where, str, PARTS[name]), _number(item, "weight", where),
                                target))
    return RubricConf(parts=tuple(parts))


def parse_joint(data: Mapping) -> JointConf:
    raw = section(data, "joint")
    return JointConf(remind_before_days=int_in(raw, "remind_before_days", "joint.", 3, 0, 30),
                     agenda_overdue_days=int_in(raw, "agenda_overdue_days", "joint.", 7, 1, 365))
