"""Parsing of one `pairs:` entry of a unit in config.yaml (called by core.settings).

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

from datetime import date
from typing import Any

from core.settings import ConfigError, PairingConf

TARGET_KEYS = {"deed": "deed", "exchange": "exchange", "party_day": "party_day", "survey": "survey",
               "办实事": "deed", "业务交流": "exchange", "联合党日": "party_day", "需求调查": "survey"}


def _date(raw: dict, key: str, where: str) -> date | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}.{key}", f"expected a date YYYY-MM-DD, got {value!r}") from None


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
        raw = {"branch": raw}
        branch_key = where
    elif isinstance(raw, dict):
        branch_key = f"{where}.branch"
    else:
        raise ConfigError(where, f"expected a branch code or a mapping, got {raw!r}")
    branch = raw.get("branch")
    if not isinstance(branch, str) or not branch.strip():
        raise ConfigError(branch_key, "missing")
    if branch not in branch_codes:
        raise ConfigError(branch_key, f'unknown branch "{branch}"')
    signed, until = _date(raw, "signed", where), _date(raw, "until", where)
    if signed and until and until < signed:
        raise ConfigError(f"{where}.until", f"before signed ({signed.isoformat()})")
    duties = raw.get("duties") or []
    if not isinstance(duties, list) or not all(isinstance(d, str) and d.strip() for d in duties):
        raise ConfigError(f"{where}.duties", f"expected a list of non-empty strings, got {duties!r}")
    return PairingConf(branch=branch, signed_on=signed, ends_on=until, duties=tuple(duties),
                       targets=_targets(raw.get("targets"), f"{where}.targets"))
