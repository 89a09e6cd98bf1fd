"""`export ...`: the office's files (ledger, monthly reports, year summary, the bureau's workbook)."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from commands.base import chosen_consortia, consortium_id, emit, pass_env
from core.clock import utcnow
from models.org import Consortium
from services.org import structure as org
from services.reports import bureau, exports, summary
from services.shared import periods
from services.tasks import ledger


def _xlsx(out: Path) -> Path:
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"expected a .xlsx file name, got {out.name!r}", param_hint="--out")
    return out


YEAR = click.option("--year", required=True, type=click.IntRange(2000, 2100))
OUT = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))


@click.group("export")
def export_group() -> None:
    """The office's files: ledger and monthly reports (.xlsx or .csv by --out), year summary, bureau workbook."""


@export_group.command("ledger")
@click.option("--month", help="Local month YYYY-MM (default: all).")
@click.option("--branch", default="", help="Branch code, or 'triage'.")
@click.option("--consortium", default=None, help="Consortium code (default: every one, with a 医共体 column).")
@OUT
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
                                  consortium_id=consortium_id(session, env.settings, consortium))
        rows = exports.export_ledger(session, flt, env.settings.tz, out, fmt)
    emit({"out": str(out), "format": fmt, "rows": rows, "month": month, "consortium": consortium})


@export_group.command("reports")
@YEAR
@click.option("--consortium", default=None, help="Consortium code (default: every one, a sheet each).")
@OUT
@pass_env
def export_reports(env, year: int, consortium: str | None, out: Path) -> None:
    """Write the branch × month matrix of monthly reports (月报) of a year, a sheet per consortium."""
    fmt = _format(out)
    tz = env.settings.tz
    with env.session() as session:
        org.sync_org(session, env.settings)
        session.commit()
        cons_id = consortium_id(session, env.settings, consortium)
        chosen = [c for c in session.scalars(select(Consortium).order_by(Consortium.id))
                  if cons_id is None or c.id == cons_id]
        rows = exports.export_reports_by_consortium(session, chosen, year, tz, out, fmt,
                                                    today_period=utcnow().astimezone(tz).strftime("%Y-%m"))
    emit({"out": str(out), "format": fmt, "rows": rows, "year": year, "consortia": [c.code for c in chosen]})


def _format(out: Path) -> str:
    try:
        return exports.format_for(out)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from None


@export_group.command("summary")
@YEAR
@OUT
@click.option("--consortium", default=None, help="Only this consortium (default: every one, a sheet each).")
@pass_env
def export_summary(env, year: int, out: Path, consortium: str | None) -> None:
    """Year-end summary per branch (述职评议): activities, people served, tasks, reports, 四个一."""
    _xlsx(out)
    tz = env.settings.tz
    with env.session() as session:
        org.sync_org(session, env.settings)
        session.commit()
        chosen = chosen_consortia(session, consortium)
        rows = summary.export_summary(session, chosen, year, out, tz=tz, today=utcnow().astimezone(tz).date())
    emit({"out": str(out), "format": "xlsx", "year": year, "consortia": [c.code for c in chosen], "rows": rows})


@export_group.command("bureau")
@YEAR
@click.option("--period", default=None, help="Month YYYY-MM whose missing 月报 are counted (default: last month).")
@OUT
@pass_env
def export_bureau(env, year: int, period: str | None, out: Path) -> None:
    """The bureau's workbook: 汇总 and one sheet per consortium."""
    _xlsx(out)
    tz = env.settings.tz
    today = utcnow().astimezone(tz).date()
    period = period or periods.previous_month(today)
    with env.session() as session:
        rows = bureau.export_workbook(session, out, year=year, period=period, tz=tz, today=today)
        codes = [c.code for c in chosen_consortia(session, None)]
    emit({"out": str(out), "format": "xlsx", "year": year, "period": period, "consortia": codes, "rows": rows})


COMMANDS = (export_group,)
