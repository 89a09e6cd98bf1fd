"""`admin create|password|disable` (console accounts), `export ledger`, `export reports`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from core.clock import utcnow
from models.org import Consortium
from services.org import accounts as admin_accounts
from services.reports import exports
from services.tasks import ledger
from services.org import structure as org
from services.shared import periods


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def register(cli: click.Group, pass_env, emit) -> None:
    @cli.group("admin")
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
            cons_id = _consortium_id(session, env.settings, consortium)
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
        with env.session() as session:
            try:
                account = admin_accounts.disable_account(session, username)
            except admin_accounts.AccountError as exc:
                raise click.ClickException(str(exc)) from None
            session.commit()
            emit({"username": account.username, "disabled": True})

    @cli.group("export")
    def export_group() -> None:
        """Ledger and monthly reports as .xlsx or .csv (by the --out extension)."""

    @export_group.command("ledger")
    @click.option("--month", help="Local month YYYY-MM (default: all).")
    @click.option("--branch", default="", help="Branch code, or 'triage'.")
    @click.option("--consortium", default=None, help="Consortium code (default: every one, with a 医共体 column).")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @pass_env
    def export_ledger(env, month: str | None, branch: str, consortium: str | None, out: Path) -> None:
        """Write the ledger (台账) of a month."""
        fmt = _format(out)
        if month:
            try:
                periods.split_month(month)
            except ValueError:
                raise click.BadParameter("expected YYYY-MM", param_hint="--month") from None
        with env.session() as session:
            flt = ledger.LedgerFilter(month=month or "", branch=branch,
                                      consortium_id=_consortium_id(session, env.settings, consortium))
            rows = exports.export_ledger(session, flt, env.settings.tz, out, fmt)
        emit({"out": str(out), "format": fmt, "rows": rows, "month": month, "consortium": consortium})

    @export_group.command("reports")
    @click.option("--year", required=True, type=click.IntRange(2000, 2100))
    @click.option("--consortium", default=None, help="Consortium code (default: every one, a sheet each).")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @pass_env
    def export_reports(env, year: int, consortium: str | None, out: Path) -> None:
        """Write the branch × month matrix of monthly reports (月报) of a year, a sheet per consortium."""
        fmt = _format(out)
        tz = env.settings.tz
        with env.session() as session:
            org.sync_org(session, env.settings)
            session.commit()
            cons_id = _consortium_id(session, env.settings, consortium)
            chosen = [c for c in session.scalars(select(Consortium).order_by(Consortium.id))
                      if cons_id is None or c.id == cons_id]
            rows = exports.export_reports_by_consortium(session, chosen, year, tz, out, fmt,
                                                        today_period=utcnow().astimezone(tz).strftime("%Y-%m"))
        emit({"out": str(out), "format": fmt, "rows": rows, "year": year, "consortia": [c.code for c in chosen]})


def _consortium_id(session, settings, code: str | None) -> int | None:
    if not code:
        return None
    org.sync_org(session, settings)
    cons = org.consortium_by_code(session, code)
    if cons is None or cons.code != code:
        known = ", ".join(session.scalars(select(Consortium.code).order_by(Consortium.id)))
        raise click.BadParameter(f"unknown consortium {code!r} (known: {known})", param_hint="--consortium")
    return cons.id


def _format(out: Path) -> str:
    try:
        return exports.format_for(out)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from None
