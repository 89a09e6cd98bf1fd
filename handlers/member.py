"""Member units' staff: free text becomes a request; progress, supplements, withdrawal, rating."""
from __future__ import annotations

from core.wechat import Inbound
from handlers import replies, texts
from handlers.common import mark_pending, task_errors
from handlers.router import Context, Router, command, free_text, msg_type, role, unbound
from services.messages import inbound as inbound_svc
from services.tasks import plan as intake_plan
from services.tasks import bursts
from services.tasks import intake
from services.tasks import lifecycle as tasks
from services.tasks.plan import RATING, Identity

router = Router("member")
ATTACH_KINDS = {"image": "图片", "location": "位置", "link": "链接", "video": "视频", "shortvideo": "视频"}


@router.on(unbound(), free_text())
def keep_unbound(msg: Inbound, ctx: Context) -> str:
    return mark_pending(ctx)


@router.on(role("member"), command("我的诉求", click="MY_REQUESTS"))
def my_requests(msg: Inbound, ctx: Context) -> str:
    rows = tasks.requests_of(ctx.session, ctx.member)
    if not rows:
        return texts.MY_REQUESTS_EMPTY
    return "\n".join([texts.MY_REQUESTS_HEADER] + [replies.task_line(t, ctx.settings.tz) for t in rows])


@router.on(role("member"), command("进度", number=True))
@task_errors(example="进度")
def progress(msg: Inbound, ctx: Context) -> str:
    task = tasks.get_task(ctx.session, ctx.args["number"], ctx.member.consortium_id)
    if task.requester_id != ctx.member.id:
        raise tasks.TaskError("not_found", number=task.number)
    return replies.task_detail(task, tasks.history(ctx.session, task), ctx.settings.tz)


@router.on(role("member"), command("补充", number=True))
@task_errors(example="补充")
def supplement(msg: Inbound, ctx: Context) -> str:
    task = tasks.supplement(ctx.session, ctx.member, ctx.args["number"], ctx.args["rest"],
                            now=ctx.now, sandbox=ctx.sandbox)
    return texts.SUPPLEMENT_OK.format(number=task.number)


@router.on(role("member"), command("撤回", number=True))
@task_errors(example="撤回")
def withdraw(msg: Inbound, ctx: Context) -> str:
    task = tasks.withdraw(ctx.session, ctx.member, ctx.args["number"], now=ctx.now, sandbox=ctx.sandbox)
    return texts.WITHDRAW_OK.format(number=task.number)


@router.on(role("member"), command("评价", number=True))
@task_errors(example="评价")
def rate(msg: Inbound, ctx: Context) -> str:
    m = RATING.match(ctx.args["rest"])
    if not ctx.args["number"] or not m:
        return texts.RATE_USAGE
    task = tasks.rate(ctx.session, ctx.member, ctx.args["number"], int(m.group(1)), m.group(2).strip(),
                      now=ctx.now, sandbox=ctx.sandbox)
    return texts.RATE_OK.format(number=task.number, score=task.rating)


@router.on(role("member"), msg_type("text"), lambda msg, ctx: msg.text.strip() in ("1", "2"))
def answer_same_matter(msg: Inbound, ctx: Context) -> str | None:
    """The answer to "same matter?": 1 adds the held messages to the task, 2 makes them a new request."""
    number, rows = bursts.held(ctx.session, ctx.member.openid, before_id=ctx.inbound_id)
    if not rows:
        return None  # no question pending: maybe a rating
    text = intake_plan.pending_text([row.content or "" for row in rows])
    task = tasks.get_task(ctx.session, number, ctx.member.consortium_id)
    if msg.text.strip() == "1" and task.is_open:
        tasks.supplement(ctx.session, ctx.member, number, text, now=ctx.now, sandbox=ctx.sandbox)
        reply = texts.SUPPLEMENT_OK.format(number=number)
    else:
        plan = intake_plan.plan(text, Identity.of(ctx.member), ctx.rules)
        decision = plan.decision.to_dict() if plan.decision is not None else {"branch": "triage"}
        task_new = tasks.submit_request(ctx.session, ctx.member, text, decision, now=ctx.now, sandbox=ctx.sandbox)
        gone = "" if msg.text.strip() == "2" else texts.SAME_MATTER_GONE.format(number=number,
                                                                               status=task.status_label)
        task, reply = task_new, gone + replies.task_reply(task_new)
    for row in rows:
        inbound_svc.mark(ctx.session, row.id, "task", task.id)
    return reply


@router.on(role("member"), msg_type("text"), lambda msg, ctx: intake_plan.maybe_rating(msg.text))
@task_errors(example="评价")
def rate_by_digit(msg: Inbound, ctx: Context) -> str | None:
    """A bare 1-5 right after a resolution rates the latest unrated task."""
    task = tasks.latest_unrated(ctx.session, ctx.member)
    if task is None:
        return None
    m = RATING.match(msg.text)
    tasks.rate(ctx.session, ctx.member, task.number, int(m.group(1)), m.group(2).strip(),
               now=ctx.now, sandbox=ctx.sandbox)
    return texts.RATE_OK.format(number=task.number, score=int(m.group(1)))


@router.on(role("member"), msg_type(*ATTACH_KINDS))
def attach(msg: Inbound, ctx: Context) -> str:
    kind = ATTACH_KINDS[msg.msg_type]
    task = tasks.latest_open(ctx.session, ctx.member)
    if task is None:
        return texts.ATTACH_NO_TASK.format(kind=kind)
    tasks.attach(ctx.session, task, ctx.inbound_id, msg.msg_type, now=ctx.now)
    return texts.ATTACHED.format(kind=kind, number=task.number)


@router.on(role("member"), free_text())
def submit(msg: Inbound, ctx: Context) -> str | None:
    """Any text that is no command is a new request (a resolved task is never reopened), unless it
    continues the member's last request (services/tasks/bursts.py: append, or ask after acceptance).

    What the text means is decided by intake_plan.plan, the rule the fast lane follows too.
    """
    plan = intake_plan.plan(msg.text, Identity.of(ctx.member), ctx.rules)
    if plan.kind == intake_plan.TALK:
        return replies.talk_reply(plan.talk)
    if plan.kind != intake_plan.REQUEST:
        return None  # a command this user cannot use, or a malformed one: the fallback explains
    intake.create_queued_tasks_of(ctx.session, ctx.member.openid, sandbox=ctx.sandbox)
    way, task = bursts.decide(ctx.session, ctx.member, bursts.Window.of(ctx.settings.tasks), now=ctx.now)
    if way == bursts.APPEND:
        try:
            return joined(ctx, bursts.append(ctx.session, task, msg.text, ctx.rules, now=ctx.now, sandbox=ctx.sandbox))
        except tasks.TaskError:
            way = bursts.ASK  # accepted meanwhile
    if way == bursts.ASK:
        bursts.hold(ctx.session, ctx.inbound_id, task)
        return texts.SAME_MATTER_ASK.format(number=task.number, owner=task.owner_name)
    task = tasks.submit_request(ctx.session, ctx.member, msg.text, plan.decision.to_dict(), now=ctx.now,
                                sandbox=ctx.sandbox)
    inbound_svc.mark(ctx.session, ctx.inbound_id, "task", task.id)
    ctx.notes["routed_to"] = plan.routed_to
    ctx.notes["task"] = task.number
    return replies.task_reply(task)


def joined(ctx: Context, task) -> str:
    inbound_svc.mark(ctx.session, ctx.inbound_id, "task", task.id)
    ctx.notes["task"] = task.number
    return texts.BURST_APPENDED.format(number=task.number, owner=task.owner_name)
