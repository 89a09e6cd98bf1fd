"""`export summary` (year-end summary), `export bureau` (all consortia), `pairing list` (四个一 matrix)."""
from __future__ import annotations


import click

from commands.base import chosen_consortia, emit, pass_env

from services.org import structure as org
from services.pairing import agreements as pairing


@click.group("pairing")
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
        for c in chosen_consortia(session, consortium):
            rows = pairing.pairing_rows(session, year, consortium_id=c.id)
            result.append({"consortium": c.code, "completion": pairing.completion(rows),
                           "pairings": [r.to_dict() for r in rows]})
    emit(result)


COMMANDS = (pairing_group,)
