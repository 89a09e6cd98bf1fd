"""`menu push` / `menu show`: the default menu and the menu of each role, from config.yaml."""
from __future__ import annotations

import click

from commands.base import emit, pass_env

ROLE_CHOICES = ("unbound", "member", "secretary", "office", "admin")


@click.group("menu")
def menu_group() -> None:
    """The official account's menus (default, and one per role through user tags)."""


@menu_group.command("push")
@pass_env
def menu_push(env) -> None:
    """Publish the menus to WeChat and queue tagging of everyone bound (sandbox: print the requests)."""
    settings = env.settings
    if settings.sandbox:
        from services.menu.push import planned_requests
        click.echo("sandbox mode (no WeChat credential set): requests printed, not sent", err=True)
        emit({"sandbox": True, "pushed": False, "requests": planned_requests(settings.menu)})
        return
    from core.clock import utcnow
    from core.token_store import make_token_store
    from core.wechat_client import WeChatApiError, make_wechat_client
    from services.menu.push import push
    with env.session() as session:
        api = make_wechat_client(settings, make_token_store(settings.wechat.app_id, engine=session.get_bind(),
                                                            redis_url=settings.redis_url))
        try:
            result = push(session, api, settings.menu, now=utcnow())
        except WeChatApiError as exc:
            raise click.ClickException(f"menu push failed: {exc}") from None
        session.commit()
    emit({"sandbox": False, "pushed": True, **result})


@menu_group.command("show")
@click.option("--role", type=click.Choice(ROLE_CHOICES), default="unbound", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="the menu JSON as WeChat receives it")
@pass_env
def menu_show(env, role: str, as_json: bool) -> None:
    """The menu a role sees (unbound: the default menu)."""
    menus = env.settings.menu
    who = None if role == "unbound" else role
    menu = menus.for_role(who)
    if as_json:
        emit({"role": role, "menu": menus.menu_of(who) or "default",
              "tag": menus.tag_name(menus.menu_of(who)) if menus.menu_of(who) else None, **menu})
        return
    for button in menu["button"]:
        click.echo(_label(button))
        for sub in button.get("sub_button", []):
            click.echo("  " + _label(sub))


def _label(button: dict) -> str:
    if "sub_button" in button:
        return button["name"]
    return f"{button['name']}  ({button.get('key') or button.get('url')})"


COMMANDS = (menu_group,)
