"""Settings: config.yaml (non-secret) + environment (secrets) -> frozen dataclasses.

`load_settings` runs once per process. Every mistake raises `ConfigError` whose
message names the key (`branches[3].code: duplicate "eye_ent"`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = BASE_DIR / "config.yaml"
SANDBOX_TOKEN = "tongxin-dev"
WECHAT_API_DEFAULT = "https://api.weixin.qq.com/cgi-bin/"
UNIT_KINDS = ("township", "community", "village")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
WECHAT_CREDENTIALS = ("WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET")
SECRET_VARS = (*WECHAT_CREDENTIALS, "SECRET_KEY")


def is_sandbox(env: Mapping[str, str]) -> bool:
    """Sandbox mode, the one definition: no WeChat credential of any kind in the environment.

    Only then may the app run without SECRET_KEY, use the public token `tongxin-dev`
    and serve the simulator; outbound messages are stored, not sent."""
    return not any(env.get(name) for name in WECHAT_CREDENTIALS)


class ConfigError(Exception):
    """A configuration mistake; the message names the offending key."""

    def __init__(self, key: str, problem: str):
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")


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


@dataclass(frozen=True)
class WeChatConf:
    token: str
    aes_key: str | None
    app_id: str
    app_secret: str | None
    api_base: str
    sandbox: bool = False  # is_sandbox(environment): no WeChat credential of any kind


@dataclass(frozen=True)
class WebhookConf:
    max_body_bytes: int = 65536
    timestamp_window: int = 300


@dataclass(frozen=True)
class RoutingConf:
    rules_path: Path
    user_dict_path: Path | None


@dataclass(frozen=True)
class Settings:
    env: str
    timezone: str
    database_url: str
    redis_url: str | None
    secret_key: str
    wechat: WeChatConf
    webhook: WebhookConf
    routing: RoutingConf
    consortia: tuple[ConsortiumConf, ...]
    invite_ttl_days: int
    var_dir: Path
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    metrics_token: str | None = field(default=None, repr=False)  # METRICS_TOKEN: /metrics needs it when set

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sandbox(self) -> bool:
        return self.wechat.sandbox

    def consortium(self, code: str | None = None) -> ConsortiumConf:
        if code is None:
            return self.consortia[0]
        return next(c for c in self.consortia if c.code == code)


# --- small typed readers that name the key -------------------------------

def _get(d: Mapping, key: str, path: str, kind: type | tuple, default: Any = ...) -> Any:
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


def _str_list(d: Mapping, key: str, path: str) -> tuple[str, ...]:
    items = _get(d, key, path, list, [])
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{path}{key}[{i}]", f"expected a non-empty string, got {item!r}")
    return tuple(items)


def _coded(items: list, path: str, pattern: re.Pattern, hint: str):
    """Yield (path prefix, mapping, code) for a list of mappings with unique codes matching `pattern`."""
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"{path}[{i}]."
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}[{i}]", f"expected a mapping, got {raw!r}")
        code = _get(raw, "code", where, str)
        if not pattern.match(code):
            raise ConfigError(f"{where}code", f"expected {hint}, got {code!r}")
        if code in seen:
            raise ConfigError(f"{where}code", f'duplicate "{code}"')
        seen.add(code)
        yield where, raw, code


def _parse_branches(items: list, path: str) -> tuple[BranchConf, ...]:
    result = []
    for where, raw, code in _coded(items, f"{path}branches", CODE_RE, "lower-case letters, digits or _"):
        result.append(BranchConf(code, _get(raw, "name", where, str), _str_list(raw, "aliases", where)))
    if not result:
        raise ConfigError(f"{path}branches", "at least one branch is required")
    return tuple(result)


def _parse_units(items: list, path: str, branch_codes: set[str]) -> tuple[UnitConf, ...]:
    result = []
    for where, raw, code in _coded(items, f"{path}units", UNIT_CODE_RE, "letters, digits, - or _"):
        kind = _get(raw, "kind", where, str)
        if kind not in UNIT_KINDS:
            raise ConfigError(f"{where}kind", f"expected one of {', '.join(UNIT_KINDS)}, got {kind!r}")
        pairings = _parse_pairs(_get(raw, "pairs", where, list, []), f"{where}pairs", branch_codes)
        result.append(UnitConf(code, _get(raw, "name", where, str), kind,
                               tuple(p.branch for p in pairings), pairings))
    return tuple(result)


def _parse_pairs(items: list, path: str, branch_codes: set[str]) -> tuple[PairingConf, ...]:
    """`pairs: [code, ...]` or `pairs: [{branch, signed, until, duties, targets}, ...]` (both forms mix)."""
    from core.pairing_conf import parse_pair
    return tuple(parse_pair(raw, f"{path}[{j}]", branch_codes) for j, raw in enumerate(items))


def _parse_consortia(items: Any) -> tuple[ConsortiumConf, ...]:
    if not isinstance(items, list) or not items:
        raise ConfigError("consortia", "expected a non-empty list")
    result, codes, unit_codes = [], set(), set()
    for i, raw in enumerate(items):
        path = f"consortia[{i}]."
        if not isinstance(raw, dict):
            raise ConfigError(f"consortia[{i}]", "expected a mapping")
        code = _get(raw, "code", path, str)
        if code in codes:
            raise ConfigError(f"{path}code", f'duplicate "{code}"')
        codes.add(code)
        branches = _parse_branches(_get(raw, "branches", path, list), path)
        units = _parse_units(_get(raw, "units", path, list, []), path, {b.code for b in branches})
        for j, u in enumerate(units):
            if u.code in unit_codes:
                raise ConfigError(f"{path}units[{j}].code", f'duplicate "{u.code}" (unit codes are unique across consortia)')
            unit_codes.add(u.code)
        result.append(ConsortiumConf(
            code=code, name=_get(raw, "name", path, str),
            lead_hospital=_get(raw, "lead_hospital", path, str),
            office_name=_get(raw, "office_name", path, str, "党委办公室"),
            branches=branches, units=units))
    return tuple(result)


def _resolve(path_text: str, config_dir: Path) -> Path:
    p = Path(path_text)
    return p if p.is_absolute() else (config_dir / p)


def _wechat_from_env(env: Mapping[str, str], production: bool) -> WeChatConf:
    if production:
        for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "SECRET_KEY"):
            if not env.get(name):
                raise ConfigError(name, "required when TONGXIN_ENV=production (set the environment variable)")
    aes_key = env.get("WECHAT_AES_KEY") or None
    if aes_key is not None and len(aes_key) != 43:
        raise ConfigError("WECHAT_AES_KEY", f"expected 43 characters (EncodingAESKey), got {len(aes_key)}")
    sandbox = is_sandbox(env)
    for name in () if sandbox else ("SECRET_KEY", "WECHAT_TOKEN"):
        if not env.get(name):
            raise ConfigError(name, f"required when any WeChat credential is set ({', '.join(WECHAT_CREDENTIALS)}); "
                                    "only sandbox mode runs without it")
    api_base = env.get("WECHAT_API_BASE") or WECHAT_API_DEFAULT
    if not api_base.endswith("/"):
        api_base += "/"
    return WeChatConf(token=env.get("WECHAT_TOKEN") or SANDBOX_TOKEN, aes_key=aes_key,
                      app_id=env.get("WECHAT_APP_ID") or "sandbox",
                      app_secret=env.get("WECHAT_APP_SECRET") or None, api_base=api_base, sandbox=sandbox)


def _secret_key(env: Mapping[str, str], sandbox: bool, var_dir: Path) -> str:
    """SECRET_KEY from the environment; only sandbox mode may fall back to a random key kept in var/."""
    if env.get("SECRET_KEY") or not sandbox:  # outside sandbox _wechat_from_env required it
        return env["SECRET_KEY"]
    from core.secret_key import sandbox_secret_key
    try:
        key = sandbox_secret_key(var_dir)
    except OSError as exc:
        raise ConfigError("TONGXIN_VAR_DIR", f"cannot keep the sandbox session key in {var_dir}: {exc.strerror}") from None
    if key is None:
        raise ConfigError("SECRET_KEY", f"{var_dir / 'secret_key'} holds no usable key; delete it or set SECRET_KEY")
    return key


def load_settings(path: str | Path | None = None, environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read config.yaml and the environment once; raise ConfigError naming the key."""
    env = dict(os.environ if environ is None else environ)
    config_path = Path(path or env.get("TONGXIN_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("TONGXIN_CONFIG", f"config file not found: {config_path}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(str(config_path.name), f"invalid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(config_path.name, "expected a mapping at the top level")
    data.update(overrides or {})
    config_dir = config_path.resolve().parent
    tz = _get(data, "timezone", "", str, "Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"unknown time zone {tz!r}") from None
    env_name = env.get("TONGXIN_ENV", "development")
    production = env_name == "production"
    var_dir = _resolve(env.get("TONGXIN_VAR_DIR") or _get(data, "var_dir", "", str, "var"), config_dir)
    webhook = _get(data, "webhook", "", dict, {})
    max_body = _get(webhook, "max_body_bytes", "webhook.", int, 65536)
    window = _get(webhook, "timestamp_window_seconds", "webhook.", int, 300)
    if max_body < 1024:
        raise ConfigError("webhook.max_body_bytes", f"expected at least 1024, got {max_body}")
    routing = _get(data, "routing", "", dict, {})
    rules_path = _resolve(_get(routing, "rules", "routing.", str, "routing/rules.yaml"), config_dir)
    user_dict = _get(routing, "user_dict", "routing.", str, "routing/userdict.txt")
    invites = _get(data, "invites", "", dict, {})
    ttl = _get(invites, "ttl_days", "invites.", int, 7)
    if not 1 <= ttl <= 365:
        raise ConfigError("invites.ttl_days", f"expected 1..365, got {ttl}")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'tongxin.db'}"
    wechat = _wechat_from_env(env, production)
    return Settings(
        env=env_name, timezone=tz, database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        secret_key=_secret_key(env, wechat.sandbox, var_dir), wechat=wechat,
        webhook=WebhookConf(max_body_bytes=max_body, timestamp_window=window),
        routing=RoutingConf(rules_path=rules_path,
                            user_dict_path=_resolve(user_dict, config_dir) if user_dict else None),
        consortia=_parse_consortia(data.get("consortia")),
        invite_ttl_days=ttl, var_dir=var_dir, raw=data, metrics_token=env.get("METRICS_TOKEN") or None)
