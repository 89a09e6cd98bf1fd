"""Turning tasks into short WeChat text (no business logic)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers import texts
from models.task import Task, TaskEvent

ACTIONS = {"created": "提交", "accepted": "接单", "transferred": "转办", "returned": "退回",
           "assigned": "分派", "resolved": "办结", "rated": "评价", "supplemented": "补充",
           "withdrawn": "撤回", "escalated": "督办", "rerouted": "补充后改派"}


def local(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%m-%d %H:%M") if dt else "-"


def task_line(task: Task, tz: ZoneInfo) -> str:
    where = task.owner_name
    flat = " ".join(task.text.split())  # a burst's messages on one line
    text = flat if len(flat) <= 24 else flat[:24] + "…"
    return f"{task.number}【{task.status_label}】{where} {local(task.created_at, tz)}\n  {text}"


def request_reply(number: str, branch: str | None, office: str) -> str:
    """The answer to a new request: routed to `branch`, or waiting for the office's triage."""
    if branch:
        return texts.REQUEST_ROUTED.format(number=number, branch=branch)
    return texts.REQUEST_TRIAGE.format(number=number, office=office)


def talk_reply(talk: str | None) -> str:
    """The answer to small talk: thanks/OK/emoji get an acknowledgement, a greeting a greeting."""
    return {"thanks": texts.THANKS_ACK, "greeting": texts.GREETING}.get(talk or "", texts.SMALL_TALK)


def task_reply(task: Task) -> str:
    """The answer to a request that has just become `task`."""
    return request_reply(task.number, task.branch.name if task.branch else None, task.office_name)


def task_detail(task: Task, events: list[TaskEvent], tz: ZoneInfo, *, staff: bool = False) -> str:
    """A task and its history; `staff` (office, secretaries) also see the routing keywords, never weights."""
    lines = [f"{task.number}【{task.status_label}】",
             f"单位：{task.unit.name if task.unit else '-'}　反映人：{task.requester.display}",
             f"承办：{task.branch.name if task.branch else task.office_name + '（待分派）'}",
             f"内容：{task.text}"]
    keywords = task.routing.get("keywords") or []
    if keywords and staff:
        lines.append("分派依据：" + "、".join(k["word"] for k in keywords[:5]))
    if task.resolution_note:
        lines.append(f"处理说明：{task.resolution_note}")
    if task.rating:
        lines.append(f"评价：{task.rating} 分 {task.rating_comment or ''}".rstrip())
    lines.append("过程：")
    for e in events:
        who = e.actor.display if e.actor else "系统"
        note = f"：{e.note}" if e.note and e.action not in ("created",) else ""
        lines.append(f"· {local(e.created_at, tz)} {who} {ACTIONS.get(e.action, e.action)}{note}")
    return "\n".join(lines)
