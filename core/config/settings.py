"""Settings: config.yaml (non-secret) + environment (secrets) -> frozen dataclasses.

`load_settings` runs once per process and parses every section, so a mistake anywhere
stops start-up with a `ConfigError` whose message names the key
(`reports.deadline: expected 1..28 or "last_workday", got 31`). Nothing reads raw
config afterwards.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from core.config.calendar import CalendarConf, parse_calendar
from core.config.delivery import DeliveryConf, parse_delivery
from core.config.errors import ConfigError
from core.config.meetings import MeetingsConf, parse_meetings
from core.config.menu import MenuConf, parse_menu
from core.config.org import ConsortiumConf, parse_consortia
from core.config.readers import env_int, get, int_in, section
from core.config.reports import ReportPolicy, parse_reports
from core.config.schedules import Schedule, SchedulerConf, parse_scheduler, parse_schedules
from core.config.tasks import EscalationPolicy, parse_tasks
from core.config.wechat import WECHAT_CREDENTIALS, WeChatConf, wechat_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = BASE_DIR / "config.yaml"
SECRET_VARS = (*WECHAT_CREDENTIALS, "SECRET_KEY")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~7x faster, same result


@dataclass(frozen=True)
class WebhookConf:
    max_body_bytes: int = 65536
    timestamp_window: int = 300


@dataclass(frozen=True)
class RoutingConf:
    rules_path: Path
    user_dict_path: Path | None
    overlay_refresh_seconds: int = 30  # a web process looks for the office's new keywords this often


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
    calendar: CalendarConf
    tasks: EscalationPolicy
    reports: ReportPolicy
    menu: MenuConf
    delivery: DeliveryConf
    scheduler: SchedulerConf
    schedules: tuple[Schedule, ...]
    metrics_token: str | None = None  # METRICS_TOKEN: /metrics needs it when set
    admin_session_hours: int = 12  # ADMIN_SESSION_HOURS: console sessions end after this long idle
    trusted_proxies: int = 0  # TRUSTED_PROXIES: reverse-proxy hops whose X-Forwarded-For is believed
    meetings: MeetingsConf = MeetingsConf()  # meetings: kinds of 三会一课 etc., frequencies, sign-in window

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


def _resolve(path_text: str, config_dir: Path) -> Path:
    p = Path(path_text)
    return p if p.is_absolute() else (config_dir / p)


def _read_yaml(config_path: Path) -> dict:
    try:
        data = yaml.load(config_path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    except FileNotFoundError:
        raise ConfigError("TONGXIN_CONFIG", f"config file not found: {config_path}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(str(config_path.name), f"invalid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(config_path.name, "expected a mapping at the top level")
    return data


def _timezone(data: Mapping) -> str:
    tz = get(data, "timezone", "", str, "Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"unknown time zone {tz!r}") from None
    return tz


def _webhook(data: Mapping) -> WebhookConf:
    raw = section(data, "webhook")
    return WebhookConf(max_body_bytes=int_in(raw, "max_body_bytes", "webhook.", 65536, 1024, 16 * 1024 * 1024),
                       timestamp_window=int_in(raw, "timestamp_window_seconds", "webhook.", 300, 1, 86400))


def _routing(data: Mapping, config_dir: Path) -> RoutingConf:
    raw = section(data, "routing")
    rules_path = _resolve(get(raw, "rules", "routing.", str, "routing/rules.yaml"), config_dir)
    user_dict = get(raw, "user_dict", "routing.", str, "routing/userdict.txt")
    return RoutingConf(rules_path=rules_path, user_dict_path=_resolve(user_dict, config_dir) if user_dict else None,
                       overlay_refresh_seconds=int_in(raw, "overlay_refresh_seconds", "routing.", 30, 1, 60))


def _secret_key(env: Mapping[str, str], sandbox: bool, var_dir: Path) -> str:
    """SECRET_KEY from the environment; only sandbox mode may fall back to a random key kept in var/."""
    if env.get("SECRET_KEY") or not sandbox:  # outside sandbox wechat_from_env required it
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
    """Read config.yaml and the environment once, check every section; ConfigError names the key."""
    env = dict(os.environ if environ is None else environ)
    config_path = Path(path or env.get("TONGXIN_CONFIG") or DEFAULT_CONFIG)
    data = _read_yaml(config_path)
    data.update(overrides or {})
    config_dir = config_path.resolve().parent
    tz = _timezone(data)
    env_name = env.get("TONGXIN_ENV", "development")
    var_dir = _resolve(env.get("TONGXIN_VAR_DIR") or get(data, "var_dir", "", str, "var"), config_dir)
    consortia = parse_consortia(data.get("consortia"))
    wechat = wechat_from_env(env, env_name == "production")
    schedules = parse_schedules(data, ZoneInfo(tz), tuple(c.code for c in consortia))
    return Settings(
        env=env_name, timezone=tz,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'tongxin.db'}",
        redis_url=env.get("REDIS_URL") or None,
        secret_key=_secret_key(env, wechat.sandbox, var_dir), wechat=wechat,
        webhook=_webhook(data), routing=_routing(data, config_dir), consortia=consortia,
        invite_ttl_days=int_in(section(data, "invites"), "ttl_days", "invites.", 7, 1, 365), var_dir=var_dir,
        calendar=parse_calendar(data), tasks=parse_tasks(data), reports=parse_reports(data),
        menu=parse_menu(data), delivery=parse_delivery(data, ZoneInfo(tz)),
        scheduler=parse_scheduler(data),
        schedules=schedules, meetings=parse_meetings(data, {s.name: s.kind for s in schedules}),
        metrics_token=env.get("METRICS_TOKEN") or None,
        admin_session_hours=env_int(env, "ADMIN_SESSION_HOURS", 12, 1, 24 * 30),
        trusted_proxies=env_int(env, "TRUSTED_PROXIES", 0, 0, 5))
