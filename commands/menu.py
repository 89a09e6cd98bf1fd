"""`menu push`: set the official account's custom menu from config.yaml."""
from __future__ import annotations

import click

from commands.base import emit, pass_env


@click.group("menu")
def menu_group() -> None:
    """The official account's custom menu."""


@menu_group.command("push")
@pass_env
def menu_push(env) -> None:
    """Send the menu of config.yaml to WeChat (sandbox: print the JSON only)."""
    settings = env.settings
    menu = settings.menu
    if settings.sandbox:
        click.echo("sandbox mode (no WeChat credential set): menu printed, not sent", err=True)
        emit({"sandbox": True, "pushed": False, "menu": menu})
        return
    from core.token_store import make_token_store
    from core.wechat_client import WeChatApiError, make_wechat_client
    from models.db import create_schema, make_engine
    engine = make_engine(settings.database_url)
    create_schema(engine)
    api = make_wechat_client(settings, make_token_store(settings.wechat.app_id, engine=engine,
                                                        redis_url=settings.redis_url))
    try:
        api.create_menu(menu)
    except WeChatApiError as exc:
        raise click.ClickException(f"menu/create failed: {exc}") from None
    finally:
        engine.dispose()
    emit({"sandbox": False, "pushed": True, "menu": menu})


COMMANDS = (menu_group,)
