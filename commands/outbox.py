"""`outbox list`."""
from __future__ import annotations

import click

from commands.base import emit_rows, pass_env

from services.messages import outbox


@click.group("outbox")
def outbox_group() -> None:
    """Outbound messages (notifications, reminders)."""


@outbox_group.command("list")
@click.option("--to", "to", help="Only messages to this openid.")
@click.option("--status", help="sandbox, queued, sending, sent, failed, undeliverable")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def outbox_list(env, to, status, as_json) -> None:
    with env.session() as session:
        rows = [m.to_dict() for m in outbox.list_messages(session, to=to, status=status)]
    emit_rows(rows, as_json, lambda r: f"#{r['id']} {r['status']} -> {r['to']} [{r['kind']}]\n{r['text']}\n")


COMMANDS = (outbox_group,)
