"""`tasks list`, `tasks show`."""
from __future__ import annotations

import click

from commands.base import emit, pass_env

from services.tasks import lifecycle as tasks


@click.group("tasks")
def tasks_group() -> None:
    """Requests (诉求) as tasks, with their history."""


@tasks_group.command("list")
@click.option("--status", type=click.Choice(["triage", "routed", "accepted", "resolved", "withdrawn"]))
@click.option("--branch", help="Branch code, or 'triage'.")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def tasks_list(env, status, branch, as_json) -> None:
    with env.session() as session:
        rows = [tasks.task_to_dict(t) for t in tasks.list_tasks(session, status=status, branch=branch)]
    if as_json:
        emit(rows)
    else:
        for r in rows:
            click.echo(f"{r['number']}\t{r['status']}\t{r['branch'] or 'triage'}\t{r['text'][:30]}")


@tasks_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def tasks_show(env, number, as_json) -> None:
    with env.session() as session:
        try:
            task = tasks.get_task(session, number)
        except tasks.TaskError:
            raise click.ClickException(f"no task {number}") from None
        data = tasks.task_to_dict(task, tasks.history(session, task))
    if as_json:
        emit(data)
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


COMMANDS = (tasks_group,)
