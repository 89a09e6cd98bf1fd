"""`menu:`: the official account's custom menu, checked against WeChat's limits.

CLICK keys are those the routers answer (`command(..., click=KEY)`), so a button does
exactly what the typed command does. `audience` (member, secretary, office, admin) is
documentation for people reading the config; WeChat receives only its own fields.
"""
from __future__ import annotations

from typing import Any, Mapping

from core.config.errors import ConfigError

CLICK_KEYS = {"HELP": "帮助", "MY_REQUESTS": "我的诉求", "MY_TASKS": "任务", "TRIAGE": "待分派", "STATS": "统计"}
AUDIENCES = ("member", "secretary", "office", "admin")
TOP_MAX, SUB_MAX = 3, 5                 # WeChat: at most 3 buttons, 5 sub-buttons each
TOP_NAME_BYTES, SUB_NAME_BYTES = 16, 60  # name limits in UTF-8 bytes


def _name(raw: dict, where: str, limit: int) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}.name", "missing")
    if len(name.encode("utf-8")) > limit:
        raise ConfigError(f"{where}.name", f"{name!r} is longer than {limit} bytes ({limit // 3} Chinese characters)")
    return name


def _audience(raw: dict, where: str) -> None:
    audience = raw.get("audience", [])
    if isinstance(audience, str):
        audience = [audience]
    for role in audience if isinstance(audience, list) else [audience]:
        if role not in AUDIENCES:
            raise ConfigError(f"{where}.audience", f"expected some of {', '.join(AUDIENCES)}, got {role!r}")


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
    _audience(raw, where)
    subs = raw.get("sub_button")
    if subs is None:
        return _leaf(raw, where, name)
    if not top:
        raise ConfigError(f"{where}.sub_button", "sub-buttons cannot have sub-buttons")
    if not isinstance(subs, list) or not 1 <= len(subs) <= SUB_MAX:
        raise ConfigError(f"{where}.sub_button", f"expected a list of 1..{SUB_MAX} buttons")
    return {"name": name, "sub_button": [_button(s, f"{where}.sub_button[{i}]", top=False)
                                         for i, s in enumerate(subs)]}


def parse_menu(data: Mapping) -> dict:
    """The menu JSON for `menu/create`, checked against WeChat's limits (ConfigError names the key)."""
    section = data.get("menu")
    if not isinstance(section, dict):
        raise ConfigError("menu", "missing (expected a mapping with buttons)")
    buttons = section.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= TOP_MAX:
        raise ConfigError("menu.buttons", f"expected a list of 1..{TOP_MAX} buttons")
    return {"button": [_button(b, f"menu.buttons[{i}]", top=True) for i, b in enumerate(buttons)]}


def click_keys(menu: dict) -> list[str]:
    """Every CLICK key of a built menu, in order."""
    keys = []
    for button in menu["button"]:
        for leaf in button.get("sub_button", [button]):
            if leaf["type"] == "click":
                keys.append(leaf["key"])
    return keys
