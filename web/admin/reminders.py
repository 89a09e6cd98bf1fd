"""Schedules and events (定时提醒与活动): each schedule of config.yaml with its next fire times and last
runs, and the one-off events with their reminders; the office adds an event (as `event add` does)."""
from __future__ import annotations

import re
from datetime import datetime

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from core.config import ConfigError, Settings
from models.org import Branch
from services.reminders.schedules import schedule_rows
from services.reminders import log as reminder_log
from services.reminders import fanout as reminders
from web.admin.base import bp, require_write


KIND_LABELS = {"notice": "通知", "report": "月报提醒", "report_summary": "月报汇总", "pairing": "四个一提醒"}
AUDIENCE_LABELS = {"secretaries": "各支部书记", "office": "党委办公室", "members": "成员单位人员",
                   "everyone": "全部已绑定人员", "paired": "结对支部与单位"}
REST_DAY_LABELS = {"previous": "遇休息日提前到前一工作日", "next": "遇休息日顺延到下一工作日"}
TITLE = re.compile(r"^【(.+?)】")
MAX_TITLE = 100


def schedule_titles(settings: Settings) -> dict[str, str]:
    """Schedule name -> its Chinese title (the 【…】 the message starts with, else the name)."""
    titles = {"urge": "一键催报"}
    for s in settings.schedules:
        m = TITLE.match(s.text)
        titles[s.name] = m.group(1) if m else s.name
    return titles


def when_text(when: dict) -> str:
    """A schedule's `when` in words: 每月25日 09:00，提前3天，遇休息日提前到前一工作日."""
    day = {"last_workday": "最后一个工作日", "first_workday": "第一个工作日", "last": "最后一天"}.get(
        when["day"], f"{when['day']}日")
    month = "每月" if when["month"] == "*" else f"{when['month']}月"
    parts = [f"{month}{day}" + ("" if when["day_of_week"] == "*" else f"（周{when['day_of_week']}）")
             + f" {when['time']}"]
    if when["before_days"]:
        parts.append(f"提前{when['before_days']}天")
    if when["before_workdays"]:
        parts.append(f"提前{when['before_workdays']}个工作日")
    if when["rest_day"] in REST_DAY_LABELS:
        parts.append(REST_DAY_LABELS[when["rest_day"]])
    return "，".join(parts)


def audience_label(audience: str, branches: dict[str, str]) -> str:
    if audience in AUDIENCE_LABELS:
        return AUDIENCE_LABELS[audience]
    prefix, value = audience.split(":", 1)
    if prefix == "branch":
        return branches.get(value, value)
    return {"role": "角色：", "unit": "单位："}.get(prefix, "") + value


def _event_form(settings: Settings, branches: dict[str, str]) -> tuple[dict, str | None]:
    """The posted event as add_event's arguments, or an error text naming the field."""
    title = request.form.get("title", "").strip()
    notify = request.form.get("notify", "secretaries")
    if not title or len(title) > MAX_TITLE:
        return {}, f"请填写活动名称（不超过{MAX_TITLE}字）。"
    try:
        at = datetime.fromisoformat(request.form.get("at", "").strip())
    except ValueError:
        return {}, "请填写活动时间（年-月-日 时:分）。"
    at = at.replace(tzinfo=settings.tz) if at.tzinfo is None else at
    if at <= g.now:
        return {}, "活动时间已过，请填写将来的时间。"
    if notify not in AUDIENCE_LABELS and notify.removeprefix("branch:") not in branches:
        return {}, "请选择通知对象。"
    try:
        before = reminders.parse_offsets(request.form.get("before", "1d"))
    except ValueError:
        return {}, "提前提醒格式不对：如 3d,1h（3天、1小时）或 30m（30分钟）。"
    return {"title": title, "at": at, "notify": notify, "before": before or ["1d"]}, None


def _branches() -> dict[str, str]:
    return {b.code: b.name for b in g.db.scalars(select(Branch).where(
        Branch.consortium_id == g.consortium.id).order_by(Branch.id))}


@bp.get("/schedules")
def schedules_page():
    cons = g.consortium
    rows = [r for r in schedule_rows(g.settings, g.now) if r["consortium"] in (None, cons.code)]
    branches = _branches()
    return render_template("admin/schedules.html", rows=rows, page_id="schedules", tz=g.settings.tz,
                           runs=reminder_log.last_runs(g.db, [r["name"] for r in rows], cons.id),
                           events=reminder_log.events(g.db, cons.id, now=g.now), titles=schedule_titles(g.settings),
                           kinds=KIND_LABELS, audiences=AUDIENCE_LABELS, branches=branches,
                           audience_label=lambda a: audience_label(a, branches), when_text=when_text,
                           parse=datetime.fromisoformat)


@bp.post("/events")
def event_create():
    require_write()
    values, error = _event_form(g.settings, _branches())
    if error:
        flash(error, "error")
        return redirect(url_for("admin.schedules_page") + "#event-form")
    try:
        event = reminders.add_event(g.db, **values, now=g.now, consortium_id=g.consortium.id)
    except ConfigError:
        g.db.rollback()
        flash("请选择通知对象。", "error")
        return redirect(url_for("admin.schedules_page") + "#event-form")
    g.db.commit()
    planned = reminders.planned_reminders(event)
    when = "、".join(at.astimezone(g.settings.tz).strftime("%m-%d %H:%M") for _, at in planned) or "无（提醒时间已过）"
    flash(f"已添加活动「{event.title}」（{event.at.astimezone(g.settings.tz):%Y-%m-%d %H:%M}），提醒时间：{when}。", "ok")
    return redirect(url_for("admin.schedules_page") + f"#event-{event.id}")
