"""`templates check [--json]`: delivery.templates of config.yaml against the account's template list."""
from __future__ import annotations

import click

from commands.base import emit, pass_env

MARKS = {"ok": "✓", "missing": "✗", "wrong": "✗", "unconfigured": "-"}


@click.group("templates")
def templates_group() -> None:
    """Template messages (reminders outside the 48-hour window)."""


@templates_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="the verdicts as JSON")
@pass_env
def templates_check(env, as_json: bool) -> None:
    """List the account's templates and say which configured ones are missing or wrong (exit 1 if any)."""
    settings = env.settings
    if settings.sandbox:
        raise click.ClickException("sandbox mode: set WECHAT_APP_ID and WECHAT_APP_SECRET to read the account's templates")
    from core.token_store import make_token_store
    from core.wechat_client import WeChatApiError, make_wechat_client
    from services.messages.templates import check
    with env.session() as session:
        api = make_wechat_client(settings, make_token_store(settings.wechat.app_id, engine=session.get_bind(),
                                                            redis_url=settings.redis_url))
        try:
            account = api.private_templates()
        except WeChatApiError as exc:
            raise click.ClickException(f"template/get_all_private_template failed: {exc}") from None
    result = check(settings.delivery.templates, settings.delivery.unconfigured, account)
    if as_json:
        emit(result)
    else:
        _print(result)
    bad = [k["kind"] for k in result["kinds"] if k["status"] != "ok"]
    if bad:
        raise click.ClickException(f"templates not ready for: {', '.join(bad)}")


def _print(result: dict) -> None:
    click.echo("delivery.templates:")
    for k in result["kinds"]:
        line = f"  {MARKS[k['status']]} {k['kind']:<14} {k['status']:<12} {k['template_id'] or ''}"
        click.echo(line + (f"  {k['problem']}" if k.get("problem") else ""))
    click.echo("account templates:")
    for t in result["account_templates"]:
        click.echo(f"  {t['template_id']}  {t['title']}  fields: {', '.join(t['fields'])}")


COMMANDS = (templates_group,)
