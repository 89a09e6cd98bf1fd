"""`delivery:`: the outbox worker's limits and the template messages per outbox kind."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from core.config.errors import ConfigError
from core.config.readers import int_in

FIELD_MAX = 20  # template "thing" fields take at most 20 characters
DEFAULTS = {"lease_seconds": 60, "batch_size": 100, "threads": 8, "max_attempts": 8,
            "backoff_base_seconds": 30, "backoff_max_seconds": 3600, "window_hours": 48,
            "poll_seconds": 1}
LIMITS = {"lease_seconds": (5, 3600), "batch_size": (1, 1000), "threads": (1, 64),
          "max_attempts": (1, 100), "backoff_base_seconds": (1, 86400),
          "backoff_max_seconds": (1, 7 * 86400), "window_hours": (1, 48), "poll_seconds": (1, 60)}


@dataclass(frozen=True)
class TemplateConf:
    """A template message for one outbox kind: id, optional link, field -> (format, max chars)."""
    template_id: str
    fields: tuple[tuple[str, str, int], ...]
    url: str | None = None

    def render(self, values: Mapping[str, str]) -> dict:
        data = {}
        for name, fmt, limit in self.fields:
            value = fmt.format_map(_Blank(values)).strip() or "-"
            data[name] = {"value": value if len(value) <= limit else value[:limit - 1] + "…"}
        return data


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class DeliveryConf:
    lease_seconds: int = 60
    batch_size: int = 100
    threads: int = 8
    max_attempts: int = 8
    backoff_base_seconds: int = 30
    backoff_max_seconds: int = 3600
    window_hours: int = 48
    poll_seconds: int = 1
    templates: Mapping[str, TemplateConf] = field(default_factory=dict)
    unconfigured: tuple[str, ...] = ()  # kinds declared with an empty template_id
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")


def _field(name: str, spec: Any, where: str) -> tuple[str, str, int]:
    if isinstance(spec, str):
        return name, spec, FIELD_MAX
    if isinstance(spec, dict) and isinstance(spec.get("value"), str):
        limit = spec.get("max", FIELD_MAX)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
            raise ConfigError(f"{where}.max", f"expected an integer 1..200, got {limit!r}")
        return name, spec["value"], limit
    raise ConfigError(where, f'expected a format string or {{value: ..., max: N}}, got {spec!r}')


def _template(kind: str, raw: Any) -> TemplateConf | None:
    where = f"delivery.templates.{kind}"
    if not isinstance(raw, dict):
        raise ConfigError(where, f"expected a mapping, got {raw!r}")
    template_id = raw.get("template_id") or ""
    if not isinstance(template_id, str):
        raise ConfigError(f"{where}.template_id", f"expected a string, got {template_id!r}")
    fields = raw.get("fields") or {}
    if not isinstance(fields, dict) or (template_id and not fields):
        raise ConfigError(f"{where}.fields", "expected a mapping of template field -> format")
    url = raw.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise ConfigError(f"{where}.url", f"expected an http(s) URL, got {url!r}")
    if not template_id:
        return None  # declared but not configured for this account: no template fallback
    return TemplateConf(template_id, tuple(_field(str(k), v, f"{where}.fields.{k}") for k, v in fields.items()),
                        url)


def parse_delivery(data: Mapping, tz: ZoneInfo) -> DeliveryConf:
    """Read and check `delivery:`; templates with an empty template_id are left out."""
    raw = data.get("delivery") or {}
    if not isinstance(raw, dict):
        raise ConfigError("delivery", "expected a mapping")
    templates_raw = raw.get("templates") or {}
    if not isinstance(templates_raw, dict):
        raise ConfigError("delivery.templates", "expected a mapping of outbox kind -> template")
    templates, unconfigured = {}, []
    for kind, spec in templates_raw.items():
        tpl = _template(str(kind), spec)
        if tpl is not None:
            templates[str(kind)] = tpl
        else:
            unconfigured.append(str(kind))
    conf = DeliveryConf(**{k: int_in(raw, k, "delivery.", DEFAULTS[k], *LIMITS[k]) for k in DEFAULTS},
                        templates=templates, unconfigured=tuple(unconfigured), tz=tz)
    if conf.backoff_max_seconds < conf.backoff_base_seconds:
        raise ConfigError("delivery.backoff_max_seconds", "must not be less than backoff_base_seconds")
    return conf
