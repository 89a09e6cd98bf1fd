"""`consortia:`: each consortium's branches, member units and pairing agreements.

```yaml
pairs:
  - maternal                        # short form: just the branch code
  - branch: internal                # long form: the agreement (《党支部结对帮扶责任书》)
    signed: 2026-01-10
    until: 2028-12-31
    duties: [每季度下沉坐诊, 培训村医]
    targets: {deed: 1, exchange: 2, party_day: 1, survey: 1}   # or 办实事/业务交流/联合党日/需求调查
```
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.config.errors import ConfigError
from core.config.readers import a_date, coded, get, str_list

UNIT_KINDS = ("township", "community", "village")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
DEFAULT_OFFICE_NAME = "党委办公室"
TARGET_KEYS = {"deed": "deed", "exchange": "exchange", "party_day": "party_day", "survey": "survey",
               "办实事": "deed", "业务交流": "exchange", "联合党日": "party_day", "需求调查": "survey"}


@dataclass(frozen=True)
class BranchConf:
    code: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PairingConf:
    """One `pairs:` entry of a unit: the branch, agreement dates, duties, yearly 四个一 targets."""
    branch: str
    signed_on: date | None = None
    ends_on: date | None = None
    duties: tuple[str, ...] = ()
    targets: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class UnitConf:
    code: str
    name: str
    kind: str
    paired_branches: tuple[str, ...] = ()
    pairings: tuple[PairingConf, ...] = ()


@dataclass(frozen=True)
class ConsortiumConf:
    code: str
    name: str
    lead_hospital: str
    office_name: str
    branches: tuple[BranchConf, ...]
    units: tuple[UnitConf, ...]


def _optional_date(raw: dict, key: str, where: str) -> date | None:
    value = raw.get(key)
    return None if value is None else a_date(value, f"{where}.{key}")


def _targets(raw: Any, where: str) -> tuple[tuple[str, int], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError(where, f"expected a mapping such as {{deed: 1}}, got {raw!r}")
    result = {}
    for key, value in raw.items():
        if key not in TARGET_KEYS:
            raise ConfigError(f"{where}.{key}", "expected one of deed, exchange, party_day, survey")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
            raise ConfigError(f"{where}.{key}", f"expected an integer 0..12, got {value!r}")
        result[TARGET_KEYS[key]] = value
    return tuple(sorted(result.items()))


def parse_pair(raw: Any, where: str, branch_codes: set[str]) -> PairingConf:
    """One entry: a branch code, or a mapping with `branch` and the agreement's terms."""
    if isinstance(raw, str):
        raw, branch_key = {"branch": raw}, where
    elif isinstance(raw, dict):
        branch_key = f"{where}.branch"
    else:
        raise ConfigError(where, f"expected a branch code or a mapping, got {raw!r}")
    branch = raw.get("branch")
    if not isinstance(branch, str) or not branch.strip():
        raise ConfigError(branch_key, "missing")
    if branch not in branch_codes:
        raise ConfigError(branch_key, f'unknown branch "{branch}"')
    signed, until = _optional_date(raw, "signed", where), _optional_date(raw, "until", where)
    if signed and until and until < signed:
        raise ConfigError(f"{where}.until", f"before signed ({signed.isoformat()})")
    duties = raw.get("duties") or []
    if not isinstance(duties, list) or not all(isinstance(d, str) and d.strip() for d in duties):
        raise ConfigError(f"{where}.duties", f"expected a list of non-empty strings, got {duties!r}")
    return PairingConf(branch=branch, signed_on=signed, ends_on=until, duties=tuple(duties),
                       targets=_targets(raw.get("targets"), f"{where}.targets"))


def _parse_branches(items: list, path: str) -> tuple[BranchConf, ...]:
    result = []
    for where, raw, code in coded(items, f"{path}branches", CODE_RE, "lower-case letters, digits or _"):
        result.append(BranchConf(code, get(raw, "name", where, str), str_list(raw, "aliases", where)))
    if not result:
        raise ConfigError(f"{path}branches", "at least one branch is required")
    return tuple(result)


def _parse_units(items: list, path: str, branch_codes: set[str]) -> tuple[UnitConf, ...]:
    result = []
    for where, raw, code in coded(items, f"{path}units", UNIT_CODE_RE, "letters, digits, - or _"):
        kind = get(raw, "kind", where, str)
        if kind not in UNIT_KINDS:
            raise ConfigError(f"{where}kind", f"expected one of {', '.join(UNIT_KINDS)}, got {kind!r}")
        pairs = get(raw, "pairs", where, list, [])
        pairings = tuple(parse_pair(p, f"{where}pairs[{j}]", branch_codes) for j, p in enumerate(pairs))
        result.append(UnitConf(code, get(raw, "name", where, str), kind,
                               tuple(p.branch for p in pairings), pairings))
    return tuple(result)


def parse_consortia(items: Any) -> tuple[ConsortiumConf, ...]:
    if not isinstance(items, list) or not items:
        raise ConfigError("consortia", "expected a non-empty list")
    result, codes, unit_codes = [], set(), set()
    for i, raw in enumerate(items):
        path = f"consortia[{i}]."
        if not isinstance(raw, dict):
            raise ConfigError(f"consortia[{i}]", "expected a mapping")
        code = get(raw, "code", path, str)
        if code in codes:
            raise ConfigError(f"{path}code", f'duplicate "{code}"')
        codes.add(code)
        branches = _parse_branches(get(raw, "branches", path, list), path)
        units = _parse_units(get(raw, "units", path, list, []), path, {b.code for b in branches})
        for j, u in enumerate(units):
            if u.code in unit_codes:
                raise ConfigError(f"{path}units[{j}].code",
                                  f'duplicate "{u.code}" (unit codes are unique across consortia)')
            unit_codes.add(u.code)
        result.append(ConsortiumConf(
            code=code, name=get(raw, "name", path, str), lead_hospital=get(raw, "lead_hospital", path, str),
            office_name=get(raw, "office_name", path, str, DEFAULT_OFFICE_NAME),
            branches=branches, units=units))
    return tuple(result)
