"""`menu:`: the official account's menus, a default one and one per role, checked against WeChat's limits.

`default` is what people not yet bound see (`menu/create`); `member`, `secretary`, `office`
and optionally `admin` are conditional menus (`menu/addconditional`) matched by a user tag
per menu (`tag_prefix`-<menu>). The admin sees the office menu unless `admin` is given.
CLICK keys are those the routers answer (`command(..., click=KEY)` or `click(KEY)`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from core.config.errors import ConfigError

# key -> the typed word it answers like (REPORT only exists as a button)
CLICK_KEYS = {"HELP": "帮助", "BIND_HELP": "绑定说明", "REPORT": "我要反映", "MY_REQUESTS": "我的诉求",
              "MY_TASKS": "任务", "MONTHLY_REPORT": "月报", "PAIRING": "结对", "TRIAGE": "待分派", "STATS": "统计",
              "MISSING_REPORTS": "未报送"}
CLICK_ONLY = frozenset({"REPORT"})
ROLE_MENUS = ("member", "secretary", "office", "admin")
TOP_MAX, SUB_MAX = 3, 5                 # WeChat: at most 3 buttons, 5 sub-buttons each
TOP_NAME_BYTES, SUB_NAME_BYTES = 16, 60  # name limits in UTF-8 bytes
TAG_NAME_BYTES = 30


@dataclass(frozen=True)
class MenuConf:
    """The default menu and the conditional menu of each role (JSON as WeChat takes it, no matchrule)."""
    default: dict
    roles: Mapping[str, dict]
    tag_prefix: str = "tongxin"

    def menu_of(self, role: str | None) -> str | None:
        """Which conditional menu a role sees (None: the default menu)."""
        if role == "admin" and "admin" not in self.roles:
            role = "office"
        return role if role in self.roles else None

    def for_role(self, role: str | None) -> dict:
        name = self.menu_of(role)
        return self.roles[name] if name else self.default

    def tag_name(self, menu: str) -> str:
        return f"{self.tag_prefix}-{menu}"


def _name(raw: dict, where: str, limit: int) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}.name", "missing")
    if len(name.encode("utf-8")) > limit:
        raise ConfigError(f"{where}.name", f"{name!r} is longer than {limit} bytes ({limit // 3} Chinese characters)")
    return name


def _leaf(raw: dict, where: str, name: str) -> dict:
    kind = raw.get("type")
    if kind == "click":
        key = raw.get("key")
        if key not in CLICK_KEYS:
            raise ConfigError(f"{where}.key", f"expected one of {', '.join(CLICK_KEYS)}, got {key!r}")
        return {"type": "click", "name": name, "key": key}
    if kind == "view":
        url = raw.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url", f"expected an http(s) URL, got {url!r}")
        return {"type": "view", "name": name, "url": url}
    raise ConfigError(f"{where}.type", f"expected click or view, got {kind!r}")


def _button(raw: Any, where: str, *, top: bool) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(where, f"expected a mapping, got {raw!r}")
    name = _name(raw, where, TOP_NAME_BYTES if top else SUB_NAME_BYTES)
    subs = raw.get("sub_button")
    if subs is None:
        return _leaf(raw, where, name)
    if not top:
        raise ConfigError(f"{where}.sub_button", "sub-buttons cannot have sub-buttons")
    if not isinstance(subs, list) or not 1 <= len(subs) <= SUB_MAX:
        raise ConfigError(f"{where}.sub_button", f"expected a list of 1..{SUB_MAX} buttons")
    return {"name": name, "sub_button": [_button(s, f"{where}.sub_button[{i}]", top=False)
                                         for i, s in enumerate(subs)]}


def _menu(buttons: Any, where: str) -> dict:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= TOP_MAX:
        raise ConfigError(where, f"expected a list of 1..{TOP_MAX} buttons")
    return {"button": [_button(b, f"{where}[{i}]", top=True) for i, b in enumerate(buttons)]}


def parse_menu(data: Mapping) -> MenuConf:
    """The menus of `menu:` (ConfigError names the key)."""
    section = data.get("menu")
    if not isinstance(section, dict):
        raise ConfigError("menu", "missing (expected a mapping with default and per-role menus)")
    unknown = set(section) - {"default", "tag_prefix", *ROLE_MENUS}
    if unknown:
        raise ConfigError(f"menu.{sorted(unknown)[0]}", f"expected default, tag_prefix or a role ({', '.join(ROLE_MENUS)})")
    prefix = section.get("tag_prefix", "tongxin")
    longest = max(ROLE_MENUS, key=len)
    if not isinstance(prefix, str) or not prefix or len(f"{prefix}-{longest}".encode("utf-8")) > TAG_NAME_BYTES:
        raise ConfigError("menu.tag_prefix", f"expected a short name (tag names are at most {TAG_NAME_BYTES} bytes)")
    roles = {role: _menu(section[role], f"menu.{role}") for role in ROLE_MENUS if section.get(role) is not None}
    return MenuConf(default=_menu(section.get("default"), "menu.default"), roles=roles, tag_prefix=prefix)


def click_keys(menu: dict) -> list[str]:
    """Every CLICK key of a built menu, in order."""
    keys = []
    for button in menu["button"]:
        for leaf in button.get("sub_button", [button]):
            if leaf["type"] == "click":
                keys.append(leaf["key"])
    return keys
