"""`invite create`, `people list`, `units list`, `branches list`."""
from __future__ import annotations

import click

from core.clock import utcnow
from services import org, people


def register(cli: click.Group, pass_env, emit) -> None:
    @cli.group()
    def invite() -> None:
        """Invite codes for binding people to roles."""

    @invite.command("create")
    @click.option("--role", "role", required=True, type=click.Choice(["member", "secretary", "office", "admin"]))
    @click.option("--branch", help="Branch code (secretary).")
    @click.option("--unit", help="Member unit code (member).")
    @click.option("--consortium", help="Consortium code (default: the first).")
    @click.option("--deputy", is_flag=True, help="Secretary invite for a deputy.")
    @click.option("--json", "as_json", is_flag=True)
    @pass_env
    def invite_create(env, role, branch, unit, consortium, deputy, as_json) -> None:
        """Create an invite code; the user sends 「绑定 CODE」 or scans its QR scene."""
        with env.session() as session:
            org.sync_org(session, env.settings)
            unit_row = org.find_unit(session, unit) if unit else None
            if unit and unit_row is None:
                raise click.BadParameter(f"unknown unit {unit!r}", param_hint="--unit")
            cons = unit_row.consortium if unit_row else org.consortium_by_code(session, consortium)
            if cons is None:
                raise click.BadParameter(f"unknown consortium {consortium!r}", param_hint="--consortium")
            branch_row = org.branch_by_code(session, cons.id, branch) if branch else None
            if branch and branch_row is None:
                raise click.BadParameter(f"unknown branch {branch!r}", param_hint="--branch")
            try:
                inv = people.create_invite(session, role=role, consortium=cons, branch=branch_row, unit=unit_row,
                                           deputy=deputy, now=utcnow(), ttl_days=env.settings.invite_ttl_days)
            except people.InviteError as exc:
                raise click.UsageError(str(exc)) from None
            session.commit()
            data = {"code": inv.code, "role": inv.role, "branch": branch, "unit": unit,
                    "consortium": cons.code, "multi_use": inv.multi_use, "expires_at": inv.expires_at.isoformat()}
        if as_json:
            emit(data)
        else:
            click.echo(f"{data['code']}  ({role}, 有效期至 {data['expires_at']})  用户发送「绑定 {data['code']}」即可绑定")

    @cli.group("people")
    def people_group() -> None:
        """Bound and known WeChat users."""

    @people_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @pass_env
    def people_list(env, as_json) -> None:
        with env.session() as session:
            rows = people.list_people(session)
        if as_json:
            emit(rows)
        else:
            for r in rows:
                click.echo(f"{r['openid']}\t{r['role'] or '-'}\t{r['branch'] or r['unit'] or ''}\t{r['name']}")

    @cli.group("units")
    def units_group() -> None:
        """Member units (成员单位)."""

    @units_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @pass_env
    def units_list(env, as_json) -> None:
        with env.session() as session:
            org.sync_org(session, env.settings)
            session.commit()
            rows = org.list_units(session)
        emit(rows) if as_json else [click.echo(f"{r['code']}\t{r['name']}\t{','.join(r['paired_branches'])}")
                                    for r in rows]

    @cli.group("branches")
    def branches_group() -> None:
        """Department party branches (科室党支部)."""

    @branches_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @pass_env
    def branches_list(env, as_json) -> None:
        with env.session() as session:
            org.sync_org(session, env.settings)
            session.commit()
            rows = org.list_branches(session)
        emit(rows) if as_json else [click.echo(f"{r['code']}\t{r['name']}\t{(r['secretary'] or {}).get('openid', '-')}")
                                    for r in rows]
