"""`meetings list|show` and `export branch-book`: organisational life from the command line."""
from __future__ import annotations


from pathlib import Path

import click

from commands.base import emit, pass_env
from commands.exports import export_group

from core.clock import utcnow
from services.org import structure as org
from services.shared import periods
from models.org import Branch
from services.joint import review
from services.meetings import book, listing
from services.meetings import meetings as svc
from services.meetings.parse import MeetingError


def _branch_id(session, settings, code: str | None, consortium: str | None) -> int | None:
    if not code:
        return None
    cons = org.consortium_by_code(session, consortium)
    branch = org.branch_by_code(session, cons.id, code) if cons else None
    if branch is None:
        raise click.BadParameter(f"unknown branch {code!r}", param_hint="--branch")
    return branch.id


@click.group("meetings")
def meetings_group() -> None:
    """Meetings (三会一课, 主题党日, 组织生活会 ...)."""


@meetings_group.command("list")
@click.option("--branch", default=None, help="Branch code.")
@click.option("--month", default=None, help="YYYY-MM (local time).")
@click.option("--consortium", default=None, help="Consortium of --branch (default: the first).")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def meetings_list(env, branch, month, consortium, as_json) -> None:
    """[{"id", "kind", "title", "starts_at", "place", "expected", "present", "leave", "absent",
    "minutes", "photos", "late_recorded"}], oldest first."""
    tz = env.settings.tz
    start = end = None
    if month:
        period = periods.parse_month(month)
        if period is None:
            raise click.BadParameter(f"expected YYYY-MM, got {month!r}", param_hint="--month")
        start, end = periods.month_bounds(period, tz)
    with env.session() as session:
        org.sync_org(session, env.settings)
        session.commit()
        rows = listing.query(session, branch_id=_branch_id(session, env.settings, branch, consortium),
                             start=start, end=end)
        data = listing.summaries(session, rows, env.settings.meetings, now=utcnow(), tz=tz)
    if as_json:
        emit(data)
    else:
        for d in data:
            click.echo(f"{d['id']}\t{d['starts_at']}\t{d['kind']}\t{d['place']}\t"
                       f"{d['present']}/{d['expected']}")


@meetings_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def meetings_show(env, number: str, as_json: bool) -> None:
    """One meeting with `attendees: [{"name", "status", "signed_at"}]`."""
    with env.session() as session:
        try:
            meeting = svc.find(session, number)
        except MeetingError:
            raise click.ClickException(f"unknown meeting {number!r}") from None
        data = listing.detail(session, meeting, env.settings.meetings, now=utcnow(), tz=env.settings.tz)
    if as_json:
        emit(data)
    else:
        click.echo(f"{data['id']} {data['kind']} {data['starts_at']} {data['place']}")
        for a in data["attendees"]:
            click.echo(f"  {a['name']}\t{a['status']}\t{a['signed_at'] or ''}")


@export_group.command("branch-book")
@click.option("--branch", required=True, help="Branch code.")
@click.option("--year", required=True, type=click.IntRange(2000, 2100))
@click.option("--consortium", default=None, help="Consortium of --branch (default: the first).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@pass_env
def export_branch_book(env, branch: str, year: int, consortium: str | None, out: Path) -> None:
    """Write a branch's 台账 book of a year (.zip: 台账.xlsx, photos by date and meeting, index.html)."""
    if out.suffix.lower() != ".zip":
        raise click.BadParameter(f"expected a .zip file name, got {out.name!r}", param_hint="--out")
    with env.session() as session:
        org.sync_org(session, env.settings)
        session.commit()
        row = session.get(Branch, _branch_id(session, env.settings, branch, consortium))
        now = utcnow()
        text, _ = review.draft(session, row, year, env.settings, now=now)
        result = book.write_book(session, row, year, env.settings.meetings, out, now=now, tz=env.settings.tz,
                                 review_text=text)
    emit({"out": str(out), "branch": branch, "year": year, **result})


COMMANDS = (meetings_group,)
