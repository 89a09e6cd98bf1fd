"""Branch secretaries and deputies: their branch's tasks."""
from __future__ import annotations

from core.wechat import Inbound
from handlers import replies, texts
from handlers.common import task_errors
from handlers.router import Context, Router, command, role
from services.tasks import lifecycle as tasks

router = Router("secretary")
SECRETARY = role("secretary")


@router.on(SECRETARY, command("任务", "待办", click="MY_TASKS"))
def list_tasks(msg: Inbound, ctx: Context) -> str:
    rows = tasks.open_tasks_of_branch(ctx.session, ctx.member.branch_id)
    name = ctx.member.branch.name
    if not rows:
        return texts.BRANCH_TASKS_EMPTY.format(branch=name)
    return "\n".join([texts.BRANCH_TASKS_HEADER.format(branch=name)]
                     + [replies.task_line(t, ctx.settings.tz) for t in rows])


@router.on(role("secretary", "office", "admin"), command("详情", number=True))
@task_errors(example="详情", list_cmd="任务")
def detail(msg: Inbound, ctx: Context) -> str:
    task = tasks.visible_task(ctx.session, ctx.member, ctx.args["number"])
    return replies.task_detail(task, tasks.history(ctx.session, task), ctx.settings.tz, staff=True)


@router.on(SECRETARY, command("接单", number=True))
@task_errors(example="接单", list_cmd="任务")
def accept(msg: Inbound, ctx: Context) -> str:
    task = tasks.accept(ctx.session, ctx.member, ctx.args["number"], now=ctx.now, sandbox=ctx.sandbox)
    return texts.ACCEPT_OK.format(number=task.number)


@router.on(SECRETARY, command("转办", number=True))
@task_errors(example="转办", list_cmd="任务")
def transfer(msg: Inbound, ctx: Context) -> str:
    parts = ctx.args["rest"].split(maxsplit=1)
    branch_name = parts[0] if parts else ""
    reason = parts[1].strip() if len(parts) > 1 else ""
    task = tasks.transfer(ctx.session, ctx.member, ctx.args["number"], branch_name, reason,
                          now=ctx.now, sandbox=ctx.sandbox)
    return texts.TRANSFER_OK.format(number=task.number, branch=task.branch.name)


@router.on(SECRETARY, command("退回", number=True))
@task_errors(example="退回", list_cmd="任务")
def return_task(msg: Inbound, ctx: Context) -> str:
    task = tasks.return_to_office(ctx.session, ctx.member, ctx.args["number"], ctx.args["rest"],
                                  now=ctx.now, sandbox=ctx.sandbox)
    return texts.RETURN_OK.format(number=task.number, office=task.office_name)


@router.on(SECRETARY, command("办结", number=True))
@task_errors(example="办结", list_cmd="任务")
def resolve(msg: Inbound, ctx: Context) -> str:
    task = tasks.resolve(ctx.session, ctx.member, ctx.args["number"], ctx.args["rest"],
                         now=ctx.now, sandbox=ctx.sandbox)
    return texts.RESOLVE_OK.format(number=task.number)
