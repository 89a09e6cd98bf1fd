"""`items list` (督办事项) and `score` (考核): joint-meeting follow-up from the command line."""
from __future__ import annotations

import click

from commands.base import emit, pass_env
from core.clock import utcnow
from services.joint import listing


@click.group("items")
def items_group() -> None:
    """督办事项 decided at joint meetings (D-YYYY-NNNN)."""


@items_group.command("list")
@click.option("--status", type=click.Choice(listing.STATUS_FILTERS))
@click.option("--owner", default=None, help="Owner branch or unit: code or name.")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def items_list(env, status, owner, as_json) -> None:
    """[{"id", "title", "owner", "due", "status", "meeting", "links"}], overdue first."""
    today = utcnow().astimezone(env.settings.tz).date()
    with env.session() as session:
        rows = listing.to_dicts(session, listing.query(session, today=today, status=status, owner=owner),
                                today=today)
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['status']}\t{r['due']}\t{r['owner']}\t{r['title']}")


COMMANDS = (items_group,)
