"""Small typed readers shared by every section parser; each names the key it checks."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Iterator, Mapping

from core.config.errors import ConfigError


def get(d: Mapping, key: str, path: str, kind: type | tuple, default: Any = ...) -> Any:
    """`d[key]` checked to be of `kind`; `default` when absent (missing is an error without one)."""
    if key not in d or d[key] is None:
        if default is ...:
            raise ConfigError(f"{path}{key}", "missing")
        return default
    value = d[key]
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"{path}{key}", f"expected an integer, got {value!r}")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ConfigError(f"{path}{key}", f"expected {_kind_word(names)}, got {value!r}")
    return value


def _kind_word(name: str) -> str:
    return {"str": "a string", "int": "an integer", "list": "a list", "dict": "a mapping"}.get(name, name)


def section(data: Mapping, key: str) -> Mapping:
    """A top-level mapping section (absent: empty)."""
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected a mapping, got {value!r}")
    return value


def int_in(d: Mapping, key: str, where: str, default: int, low: int, high: int) -> int:
    """An integer in low..high."""
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}{key}", f"expected an integer {low}..{high}, got {value!r}")
    return value


def positive(d: Mapping, key: str, where: str, default: float) -> float:
    """A number greater than zero."""
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where}{key}", f"expected a positive number, got {value!r}")
    return value


def choice(d: Mapping, key: str, where: str, choices: tuple[str, ...], default: str) -> str:
    value = d.get(key, default)
    if value not in choices:
        raise ConfigError(f"{where}{key}", f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def str_list(d: Mapping, key: str, path: str) -> tuple[str, ...]:
    items = get(d, key, path, list, [])
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{path}{key}[{i}]", f"expected a non-empty string, got {item!r}")
    return tuple(items)


def coded(items: list, path: str, pattern: re.Pattern, hint: str) -> Iterator[tuple[str, dict, str]]:
    """Yield (path prefix, mapping, code) for a list of mappings with unique codes matching `pattern`."""
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"{path}[{i}]."
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}[{i}]", f"expected a mapping, got {raw!r}")
        code = get(raw, "code", where, str)
        if not pattern.match(code):
            raise ConfigError(f"{where}code", f"expected {hint}, got {code!r}")
        if code in seen:
            raise ConfigError(f"{where}code", f'duplicate "{code}"')
        seen.add(code)
        yield where, raw, code


def a_date(value: Any, key: str) -> date:
    """A YAML date or a 'YYYY-MM-DD' string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(key, f"expected a date YYYY-MM-DD, got {value!r}") from None


def clock_range(text: Any, key: str) -> tuple[time, time]:
    """'21:00-08:00' -> (time(21), time(8))."""
    try:
        start, end = str(text).split("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ConfigError(key, f'expected "HH:MM-HH:MM", got {text!r}') from None


def env_int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer environment variable in low..high (ASCII digits only)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ConfigError(name, f"expected an integer {low}..{high}, got {raw!r}")
    return int(raw)
