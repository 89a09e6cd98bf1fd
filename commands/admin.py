"""`admin create|password|disable` (console accounts), `export ledger`, `export reports`."""
from __future__ import annotations

import sys

import click

from commands.base import apply_change, consortium_id, emit, pass_env

from core.clock import utcnow
from services.org import accounts as admin_accounts


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("admin")
def admin_group() -> None:
    """Accounts of the web console at /admin."""


@admin_group.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["office", "viewer", "bureau"]), default="office", show_default=True)
@click.option("--consortium", default=None, help="Consortium code an office/viewer account sees (default: the first).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_env
def admin_create(env, username: str, role: str, consortium: str | None, password_stdin: bool) -> None:
    """Create a console account (asks for the password)."""
    password = _read_password(password_stdin)
    with env.session() as session:
        cons_id = consortium_id(session, env.settings, consortium)
        try:
            account = admin_accounts.create_account(session, username, password, role=role, now=utcnow(),
                                                    consortium_id=cons_id)
        except admin_accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        emit({"username": account.username, "role": account.role, "consortium": consortium,
              "created_at": account.created_at.isoformat()})


@admin_group.command("password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_env
def admin_password(env, username: str, password_stdin: bool) -> None:
    """Set a new password; every open console session of the account ends."""
    password = _read_password(password_stdin)
    with env.session() as session:
        try:
            account = admin_accounts.set_password(session, username, password)
        except admin_accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        emit({"username": account.username, "password_changed": True, "sessions_ended": True})


@admin_group.command("disable")
@click.option("--username", required=True)
@pass_env
def admin_disable(env, username: str) -> None:
    """Disable an account: it cannot log in, and its open sessions stop working at once."""
    account = apply_change(env, lambda session: admin_accounts.disable_account(session, username),
                           admin_accounts.AccountError)
    emit({"username": account.username, "disabled": True})


COMMANDS = (admin_group,)
