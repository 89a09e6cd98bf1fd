"""The committee office: triage, assignment, statistics."""
from __future__ import annotations

from core.wechat import Inbound
from handlers import replies, texts
from handlers.common import task_errors
from handlers.router import Context, Router, command, role
from services.org import structure as org
from services.tasks import stats
from services.tasks import lifecycle as tasks

router = Router("office")
OFFICE = role("office", "admin")


@router.on(OFFICE, command("待分派", click="TRIAGE"))
def triage_list(msg: Inbound, ctx: Context) -> str:
    rows = tasks.triage_tasks(ctx.session, ctx.member.consortium_id)
    if not rows:
        return texts.TRIAGE_EMPTY
    lines = [texts.TRIAGE_HEADER]
    for task in rows:
        lines.append(replies.task_line(task, ctx.settings.tz))
        if task.unit_id:
            paired = org.paired_branches(ctx.session, task.unit_id)
            if paired:
                lines.append("  " + texts.TRIAGE_SUGGEST.format(branches="、".join(b.name for b in paired)))
    return "\n".join(lines)


@router.on(OFFICE, command("分派", number=True))
@task_errors(example="分派", list_cmd="待分派")
def assign(msg: Inbound, ctx: Context) -> str:
    parts = ctx.args["rest"].split(maxsplit=1)
    task = tasks.assign(ctx.session, ctx.member, ctx.args["number"], parts[0] if parts else "",
                        now=ctx.now, sandbox=ctx.sandbox, note=parts[1] if len(parts) > 1 else None)
    return texts.ASSIGN_OK.format(number=task.number, branch=task.branch.name)


@router.on(OFFICE, command("统计", click="STATS"))
def statistics(msg: Inbound, ctx: Context) -> str:
    rows = stats.branch_stats(ctx.session, ctx.member.consortium_id, now=ctx.now, tz=ctx.settings.tz)
    lines = [texts.STATS_HEADER]
    for r in rows:
        avg = f"{r['avg_rating']:.1f}" if r["avg_rating"] is not None else "暂无"
        lines.append(texts.STATS_LINE.format(name=r["name"], open=r["open"], overdue=r["overdue"],
                                             resolved=r["resolved_month"], rating=avg))
    totals = stats.totals(rows)
    lines.append(f"合计：未结 {totals['open']}，超期 {totals['overdue']}，本月办结 {totals['resolved_month']}；"
                 f"待分派 {stats.triage_count(ctx.session, ctx.member.consortium_id)}；"
                 f"未送达通知 {stats.undelivered_count(ctx.session, ctx.member.consortium_id)}")
    return "\n".join(lines)
