"""Monthly reports (月报) for secretaries; 未报送, 催报 and 通知 for the office."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from core.wechat import Inbound
from handlers import pairing_texts, texts
from handlers.router import Context, Router, command, free_text, looks_like_command, role
from models.report import MonthlyReport
from services.pairing import activities
from services.reminders import fanout as reminders
from services.reports import drafts
from services.reports import monthly as reports
from services.shared.workdays import build_calendar
from services.shared import periods
from services.meetings import matrix as meeting_matrix

router = Router("reports")
SECRETARY = role("secretary")
OFFICE = role("office", "admin")
WHEN = re.compile(r"^(?:(\d{4})\s*[-/年.]\s*)?(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*[日号]?\s*[T\s]*"
                  r"(\d{1,2})\s*[:：点时]\s*(\d{1,2})?\s*分?\s*(.*)$", re.S)
NOTICE_BEFORE = ["3d", "1h"]


def _policy(ctx: Context) -> tuple:
    return build_calendar(ctx.settings), ctx.settings.reports


def _lines(counts: dict) -> str:
    return "\n".join(f"· {label}：{counts.get(key, 0)} {unit}" for key, label, unit in texts.REPORT_FIELDS)


def _draft_reply(ctx: Context, period: str, text: str) -> str:
    draft = reports.draft_from_text(ctx.session, ctx.member, period, text, now=ctx.now)
    if draft is None:
        return texts.REPORT_NOT_UNDERSTOOD
    cal, policy = _policy(ctx)
    late = ""
    if ctx.now >= reports.deadline_at(period, cal, policy, ctx.settings.tz):
        late = texts.REPORT_LATE_NOTE.format(deadline=reports.deadline_label(period, cal, policy))
    return texts.REPORT_ECHO.format(branch=ctx.member.branch.name, period=periods.label(period),
                                    lines=_lines(draft.counts), late=late)


def _show(ctx: Context, period: str) -> str:
    report = reports.get_report(ctx.session, ctx.member.branch_id, period)
    name, label = ctx.member.branch.name, periods.label(period)
    if report is None:
        return texts.REPORT_NOT_FILED.format(branch=name, period=label)
    return _show_report(report, ctx)


def _show_report(report: MonthlyReport, ctx: Context) -> str:
    reply = texts.REPORT_SHOW.format(
        branch=report.branch.name, period=periods.label(report.period),
        filed_at=report.filed_at.astimezone(ctx.settings.tz).strftime("%m-%d %H:%M"),
        who=report.filed_by.display if report.filed_by else "", lines=_lines(report.counts),
        late=texts.REPORT_SHOW_LATE if report.late else "")
    return reply + (texts.REPORT_SHOW_TEXT.format(text=report.text) if report.text else "")


@router.on(SECRETARY, command("月报", click="MONTHLY_REPORT"))
def monthly_report(msg: Inbound, ctx: Context) -> str:
    """`月报` (guided), `月报 内容` (one message), `月报 2026-11` (show), `月报 2026-11 内容` (file that month)."""
    rest = ctx.args["rest"]
    head, _, tail = rest.partition(" ")
    period = periods.parse_month(head) if head else None
    current = reports.current_period(ctx.session, ctx.member.branch_id, _policy(ctx)[1], now=ctx.now,
                                     tz=ctx.settings.tz)
    if period and not tail.strip():
        return _show(ctx, period)
    if period and period > periods.month_of(ctx.now.astimezone(ctx.settings.tz).date()):
        return texts.REPORT_FUTURE.format(period=periods.label(period))
    if period:
        return _draft_reply(ctx, period, tail)
    if rest:
        return _draft_reply(ctx, current, rest)
    prefill, lines = activities.report_prefill(ctx.session, ctx.member.branch_id, ctx.member.consortium_id,
                                               current, tz=ctx.settings.tz)
    org_text, org_lines = meeting_matrix.report_prefill(ctx.session, ctx.member.branch_id, current,
                                                        ctx.settings.meetings, tz=ctx.settings.tz)
    if prefill:  # the month's activities and resolved tasks pre-fill the draft (issue 10), meetings too (17)
        return pairing_texts.PREFILL_NOTE.format(lines="\n".join(lines + org_lines)) + \
            _draft_reply(ctx, current, "，".join(p for p in (prefill, org_text) if p))
    reports.start_draft(ctx.session, ctx.member, current, now=ctx.now)
    cal, policy = _policy(ctx)
    return (org_text + "\n\n" if org_text else "") + texts.REPORT_GUIDE.format(branch=ctx.member.branch.name, period=periods.label(current),
                                     deadline=reports.deadline_label(current, cal, policy))


@router.on(SECRETARY, command("确认"))
def confirm_report(msg: Inbound, ctx: Context) -> str:
    cal, policy = _policy(ctx)
    report = reports.confirm(ctx.session, ctx.member, cal, policy, now=ctx.now, tz=ctx.settings.tz)
    if report is None:
        return texts.REPORT_NO_DRAFT
    return texts.REPORT_FILED.format(branch=report.branch.name, period=periods.label(report.period),
                                     code=report.period, late=texts.REPORT_LATE_MARK if report.late else "")


def secretary_drafts(ctx: Context) -> drafts.OpenDrafts:
    """The secretary's open 月报 and 活动 drafts, looked up once for this message."""
    return ctx.once("drafts", lambda: drafts.open_drafts(ctx.session, ctx.member, now=ctx.now))


def _pending_draft(msg: Inbound, ctx: Context) -> bool | dict:
    """Free text (not a command) from a secretary with a report draft opened within a day."""
    if looks_like_command(msg.text):
        return False
    open_ = secretary_drafts(ctx)
    return {"draft": open_.report} if open_.report_catches_text else False


@router.on(SECRETARY, free_text(), _pending_draft)
def report_content(msg: Inbound, ctx: Context) -> str | None:
    draft = ctx.args["draft"]
    if draft.stage == "confirm" and not reports.parse_counts(msg.text):
        return None  # not report content: let the other routers answer
    return _draft_reply(ctx, draft.period, msg.text)


def _office_period(ctx: Context) -> str:
    """The period the office is chasing: last month early in a month, else this month."""
    return periods.chased_month(ctx.now.astimezone(ctx.settings.tz).date(), ctx.settings.reports.late_window_days)


@router.on(OFFICE, command("未报送", click="MISSING_REPORTS"))
def missing_reports(msg: Inbound, ctx: Context) -> str:
    period = periods.parse_month(ctx.args["rest"]) or _office_period(ctx)
    cal, policy = _policy(ctx)
    rows = reports.missing_branches(ctx.session, ctx.member.consortium_id, period)
    label = periods.label(period)
    if not rows:
        return texts.REPORT_MISSING_NONE.format(period=label)
    return texts.REPORT_MISSING.format(period=label, deadline=reports.deadline_label(period, cal, policy),
                                       count=len(rows), lines="\n".join(f"· {b.name}" for b in rows))


@router.on(OFFICE, command("催报"))
def urge_reports(msg: Inbound, ctx: Context) -> str:
    period = periods.parse_month(ctx.args["rest"]) or _office_period(ctx)
    cal, policy = _policy(ctx)
    result = reports.urge_missing(ctx.session, ctx.member.consortium_id, period,
                                  reports.deadline_label(period, cal, policy), now=ctx.now,
                                  tz=ctx.settings.tz, sandbox=ctx.sandbox)
    if not result["sent"] and not result["already"]:
        return reports.URGE_NONE.format(period=periods.label(period))
    parts = []
    if result["sent"]:
        parts.append(reports.URGED.format(count=len(result["sent"]), names="、".join(result["sent"])))
    if result["already"]:
        parts.append(reports.URGED_ALREADY.format(names="、".join(result["already"])))
    return "\n".join(parts)


def _parse_notice(rest: str, ctx: Context) -> tuple[str, datetime, str] | None:
    """`[对象] 时间 标题` -> (audience, at, title); None if it does not read."""
    audience, text = "secretaries", rest.strip()
    first, _, remainder = text.partition(" ")
    if first in texts.NOTICE_AUDIENCES:
        audience, text = texts.NOTICE_AUDIENCES[first], remainder.strip()
    m = WHEN.match(text)
    if not m or not m.group(6).strip():
        return None
    year, month, day, hour, minute, title = m.groups()
    local_now = ctx.now.astimezone(ctx.settings.tz)
    try:
        at = datetime(int(year or local_now.year), int(month), int(day), int(hour), int(minute or 0),
                      tzinfo=ctx.settings.tz)
    except ValueError:
        return None
    if not year and at < local_now - timedelta(days=1):
        at = at.replace(year=at.year + 1)
    return audience, at, title.strip()


@router.on(OFFICE, command("通知"))
def publish_notice(msg: Inbound, ctx: Context) -> str:
    parsed = _parse_notice(ctx.args["rest"], ctx)
    if parsed is None:
        return texts.NOTICE_USAGE
    audience, at, title = parsed
    when = at.strftime("%Y-%m-%d %H:%M")
    if at <= ctx.now:
        return texts.NOTICE_PAST.format(when=when)
    event = reminders.add_event(ctx.session, title=title, at=at, notify=audience, before=NOTICE_BEFORE,
                                now=ctx.now, consortium_id=ctx.member.consortium_id, created_by_id=ctx.member.id)
    count = reminders.remind_event(ctx.session, event, "announce", now=ctx.now, sandbox=ctx.sandbox,
                                   tz=ctx.settings.tz)
    planned = [t.astimezone(ctx.settings.tz).strftime("%m-%d %H:%M") for _, t in reminders.planned_reminders(event)]
    return texts.NOTICE_OK.format(title=title, when=when, audience=texts.NOTICE_AUDIENCE_NAMES[audience],
                                  count=count, reminders=texts.NOTICE_REMINDERS.format(times="、".join(planned))
                                  if planned else "")
