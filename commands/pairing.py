"""`export summary` (year-end summary), `export bureau` (all consortia), `pairing list` (四个一 matrix)."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from core.clock import utcnow
from models.org import Consortium
from services.reports import bureau
from services.org import structure as org
from services.pairing import agreements as pairing
from services.reports import summary
from services.shared import periods


def _consortia(session, code: str | None) -> list[Consortium]:
    rows = list(session.scalars(select(Consortium).order_by(Consortium.id)))
    if code is None:
        return rows
    chosen = [c for c in rows if c.code == code]
    if not chosen:
        raise click.BadParameter(f"unknown consortium {code!r} (known: {', '.join(c.code for c in rows)})",
                                 param_hint="--consortium")
    return chosen


def _xlsx(out: Path) -> Path:
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"expected a .xlsx file name, got {out.name!r}", param_hint="--out")
    return out


def register(cli: click.Group, pass_env, emit) -> None:
    export_group = cli.commands.get("export")
    if export_group is None:
        @cli.group("export")
        def export_group() -> None:
            """Exports as .xlsx."""

    @export_group.command("summary")
    @click.option("--year", required=True, type=click.IntRange(2000, 2100))
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--consortium", default=None, help="Only this consortium (default: every one, a sheet each).")
    @pass_env
    def export_summary(env, year: int, out: Path, consortium: str | None) -> None:
        """Year-end summary per branch (述职评议): activities, people served, tasks, reports, 四个一."""
        _xlsx(out)
        tz = env.settings.tz
        with env.session() as session:
            org.sync_org(session, env.settings)
            session.commit()
            chosen = _consortia(session, consortium)
            rows = summary.export_summary(session, chosen, year, out, tz=tz, today=utcnow().astimezone(tz).date())
        emit({"out": str(out), "format": "xlsx", "year": year, "consortia": [c.code for c in chosen], "rows": rows})

    @export_group.command("bureau")
    @click.option("--year", required=True, type=click.IntRange(2000, 2100))
    @click.option("--period", default=None, help="Month YYYY-MM whose missing 月报 are counted (default: last month).")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @pass_env
    def export_bureau(env, year: int, period: str | None, out: Path) -> None:
        """The bureau's workbook: 汇总 and one sheet per consortium."""
        _xlsx(out)
        tz = env.settings.tz
        today = utcnow().astimezone(tz).date()
        period = period or periods.previous_month(today)
        with env.session() as session:
            rows = bureau.export_workbook(session, out, year=year, period=period, tz=tz, today=today)
            codes = [c.code for c in _consortia(session, None)]
        emit({"out": str(out), "format": "xlsx", "year": year, "period": period, "consortia": codes, "rows": rows})

    @cli.group("pairing")
    def pairing_group() -> None:
        """Pairings (结对共建) and their 四个一 progress."""

    @pairing_group.command("list")
    @click.option("--year", required=True, type=click.IntRange(2000, 2100))
    @click.option("--consortium", default=None)
    @pass_env
    def pairing_list(env, year: int, consortium: str | None) -> None:
        """Each pairing with its agreement and which of the 四个一 are done in YEAR."""
        with env.session() as session:
            org.sync_org(session, env.settings)
            session.commit()
            result = []
            for c in _consortia(session, consortium):
                rows = pairing.pairing_rows(session, year, consortium_id=c.id)
                result.append({"consortium": c.code, "completion": pairing.completion(rows),
                               "pairings": [r.to_dict() for r in rows]})
        emit(result)
