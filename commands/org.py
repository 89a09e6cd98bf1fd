"""`invite create`, `invite revoke`, `people list`, `units list`, `branches list`."""
from __future__ import annotations

import click

from commands.base import apply_change, emit, pass_env

from core.clock import utcnow
from services.org import structure as org
from services.org import people


@click.group()
def invite() -> None:
    """Invite codes for binding people to roles."""


@invite.command("create")
@click.option("--role", "role", required=True, type=click.Choice(["member", "secretary", "office", "admin", "party_member"]))
@click.option("--branch", help="Branch code (secretary, party_member).")
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


@invite.command("revoke")
@click.argument("code")
@pass_env
def invite_revoke(env, code: str) -> None:
    """Revoke an invite code: nobody can bind with it any more (takes effect at once)."""
    inv = apply_change(env, lambda session: people.revoke_invite(session, code), people.InviteError)
    emit({"code": inv.code, "role": inv.role, "revoked": True, "uses": inv.uses})


@click.group("people")
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


def listing(name: str, doc: str, rows_of, line_of) -> click.Group:
    """`NAME list [--json]` over the organisation of config.yaml (loaded first, idempotently)."""
    group = click.group(name, help=doc)(lambda: None)

    @group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @pass_env
    def list_(env, as_json) -> None:
        with env.session() as session:
            org.sync_org(session, env.settings)
            session.commit()
            rows = rows_of(session)
        if as_json:
            emit(rows)
        else:
            for r in rows:
                click.echo(line_of(r))
    return group


units_group = listing("units", "Member units (成员单位).", org.list_units,
        lambda r: f"{r['code']}\t{r['name']}\t{','.join(r['paired_branches'])}")
branches_group = listing("branches", "Department party branches (科室党支部).", org.list_branches,
        lambda r: f"{r['code']}\t{r['name']}\t{(r['secretary'] or {}).get('openid', '-')}")


COMMANDS = (invite, people_group, units_group, branches_group)
