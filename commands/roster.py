"""`roster import|template|list`: the party-member roster (党员名册) of each branch."""
from __future__ import annotations

from pathlib import Path

import click

from commands.base import emit_rows, import_sheet, one_consortium, pass_env

from core.clock import utcnow
from services.org import structure as org
from services.meetings import roster


@click.group("roster")
def roster_group() -> None:
    """Party members of each branch (党员名册)."""


@roster_group.command("import")
@click.option("--consortium", default=None, help="Consortium code (default: the first).")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_env
def roster_import(env, consortium: str | None, path: Path) -> None:
    """Insert or update members by (支部, 姓名); any bad row: nothing is written, every bad row listed."""
    import_sheet(env, consortium, "名册",
                 lambda session, cons: roster.import_roster(session, cons, path.read_bytes(), now=utcnow()))


@roster_group.command("template")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def roster_template(out: Path) -> None:
    """Write the xlsx template (支部, 姓名, 身份, 职务, 党小组, 手机号)."""
    roster.write_template(out)
    click.echo(str(out))


@roster_group.command("list")
@click.option("--branch", default=None, help="Branch code.")
@click.option("--consortium", default=None, help="Consortium code (default: the first).")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def roster_list(env, branch: str | None, consortium: str | None, as_json: bool) -> None:
    """Active members: [{"id", "name", "branch", "status", "duty", "group", "bound"}]."""
    with env.session() as session:
        cons = one_consortium(session, env.settings, consortium)
        session.commit()
        branch_id = None
        if branch:
            row = org.branch_by_code(session, cons.id, branch)
            if row is None:
                raise click.BadParameter(f"unknown branch {branch!r}", param_hint="--branch")
            branch_id = row.id
        data = [roster.member_to_dict(m) for m in roster.members(session, consortium_id=cons.id,
                                                                 branch_id=branch_id)]
    emit_rows(data, as_json, lambda r: f"{r['id']}\t{r['branch']}\t{r['name']}\t{r['status']}\t{r['duty']}\t{r['group']}")


COMMANDS = (roster_group,)
