"""`menu push`: the default menu, one user tag and one conditional menu per role, then tag everyone bound.

Tags are looked up by name first (`tags/get`) so a second push reuses them; the tag ids are stored
(models.menu.MenuTag) for the outbox worker. New conditional menus are added before the previous
ones are deleted, so nobody is left with the default menu in between (WeChat matches newest first).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.config.menu import ROLE_MENUS, MenuConf
from core.wechat_client import WeChatApi
from services.menu import tags


def planned_requests(menus: MenuConf) -> list[dict]:
    """The calls a push makes, for sandbox mode (tag ids are placeholders)."""
    calls: list[dict] = [{"api": "tags/get"}]
    calls += [{"api": "tags/create", "body": {"tag": {"name": menus.tag_name(m)}}, "when": "the tag does not exist yet"}
              for m in menus.roles]
    calls.append({"api": "menu/create", "body": menus.default})
    calls += [{"api": "menu/addconditional",
               "body": {**body, "matchrule": {"tag_id": f"<id of {menus.tag_name(m)}>"}}} for m, body in menus.roles.items()]
    calls.append({"api": "menu/get"})
    calls.append({"api": "menu/delconditional", "when": "for each conditional menu of the previous push"})
    calls.append({"api": "tags/members/batchtagging", "when": "by the outbox worker: everyone bound, 50 a call"})
    return calls


def push(session: Session, api: WeChatApi, menus: MenuConf, *, now: datetime) -> dict:
    """Publish every menu; store the tag of each role; queue tagging of everyone bound. Raises WeChatApiError."""
    existing = {t.get("name"): int(t["id"]) for t in api.get_tags()}
    ids: dict[str, int] = {}
    for menu in menus.roles:
        name = menus.tag_name(menu)
        ids[menu] = existing[name] if name in existing else int(api.create_tag(name)["id"])
    api.create_menu(menus.default)
    previous = [m["menuid"] for m in (api.get_menu() or {}).get("conditionalmenu", []) if m.get("menuid")]
    conditional = []
    for menu, body in menus.roles.items():
        answer = api.add_conditional_menu({**body, "matchrule": {"tag_id": str(ids[menu])}})
        conditional.append({"menu": menu, "tag": menus.tag_name(menu), "tag_id": ids[menu],
                            "menuid": str(answer.get("menuid"))})
    for menuid in previous:
        api.del_conditional_menu(menuid)
    tags.store_tags(session, [(role, menus.menu_of(role), ids[menus.menu_of(role)], menus.tag_name(menus.menu_of(role)))
                              for role in ROLE_MENUS if menus.menu_of(role)], now=now)
    queued = tags.enqueue_bound(session, now=now, sandbox=False)
    return {"default": menus.default, "conditional": conditional, "deleted": previous,
            "created_tags": sorted(set(ids) - {m for m in ids if menus.tag_name(m) in existing}),
            "tagging_queued": queued}
