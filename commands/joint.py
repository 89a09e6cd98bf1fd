"""`items list` (督办事项) and `score` (考核): joint-meeting follow-up from the command line."""
from __future__ import annotations

from pathlib import Path

import click

from commands.base import emit, import_sheet, instant, pass_env
from core.clock import utcnow
from services.joint import listing, plans, scores


@click.group("items")
def items_group() -> None:
    """督办事项 decided at joint meetings (D-YYYY-NNNN)."""


@items_group.command("list")
@click.option("--status", type=click.Choice(listing.STATUS_FILTERS))
@click.option("--owner", default=None, help="Owner branch or unit: code or name.")
@click.option("--at", "at", default=None, help="Judge overdue as of this instant (ISO 8601; default: now).")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def items_list(env, status, owner, at, as_json) -> None:
    """[{"id", "title", "owner", "due", "status", "meeting", "links"}], overdue first."""
    today = (instant(at, env.settings) if at else utcnow()).astimezone(env.settings.tz).date()
    with env.session() as session:
        rows = listing.to_dicts(session, listing.query(session, today=today, status=status, owner=owner),
                                today=today)
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['status']}\t{r['due']}\t{r['owner']}\t{r['title']}")


@click.command("score")
@click.option("--year", type=int, required=True)
@click.option("--period", default=None, help="A quarter of that year, e.g. 2026-Q4 (default: the whole year).")
@click.option("--consortium", default=None, help="Consortium code (default: all).")
@click.option("--at", "at", default=None, help="Count records up to this instant (ISO 8601; default: now).")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def score_command(env, year, period, consortium, at, as_json) -> None:
    """[{"branch", "consortium", "score", "parts": {name: {"value", "target", "points"}}}], highest first."""
    period = period or str(year)
    if not period.startswith(f"{year}"):
        raise click.BadParameter(f"{period!r} is not in {year}", param_hint="--period")
    with env.session() as session:
        try:
            rows = scores.score(session, env.settings, period, now=instant(at, env.settings) if at else utcnow(),
                                consortium=consortium)
        except scores.ScoreError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['consortium']}\t{r['branch']}\t{r['score']}")


@click.group("plan")
def plan_group() -> None:
    """Yearly branch plans (年度计划)."""


@plan_group.command("import")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--consortium", default=None, help="Consortium code (default: the first).")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="Year of rows with no 年度.")
@pass_env
def plan_import(env, path: Path, consortium: str | None, year: int | None) -> None:
    """Insert or update plans by (支部, 年度); any bad row: nothing is written, every bad row listed."""
    import_sheet(env, consortium, "计划",
                 lambda session, cons: plans.import_plans(session, cons, path.read_bytes(), year=year, now=utcnow()))


@plan_group.command("template")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def plan_template(out: Path) -> None:
    """Write the xlsx template (支部, 年度, 主题党日主题, 结对活动次数, 义诊次数, 党课主题, 工作要点)."""
    plans.write_template(out)
    click.echo(str(out))


COMMANDS = (items_group, score_command, plan_group)
