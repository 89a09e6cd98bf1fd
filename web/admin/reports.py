"""Monthly reports (月报): the branch × month matrix, its export, one-click 催报 and the reminder log."""
from __future__ import annotations

import io
from datetime import datetime

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for

from core.config import Settings
from services.reports import exports
from services.reminders import log as reminder_log
from services.reports import monthly as reports
from services.shared.workdays import build_calendar
from services.shared import periods
from web.admin.base import bp, require_write
from web.admin.reminders import schedule_titles


STATUS_LABELS = {"sandbox": "沙箱", "queued": "排队中", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                 "undeliverable": "无法送达", "claimed": "已登记"}


def office_period(settings: Settings, now: datetime) -> str:
    """The period the office chases (as 催报 in WeChat): last month early in a month, else this month."""
    return periods.chased_month(now.astimezone(settings.tz).date(), settings.reports.late_window_days)


def urge_message(result: dict[str, list[str]], period: str) -> tuple[str, str]:
    """The flash text (the WeChat reply's wording) and its category."""
    if not result["sent"] and not result["already"]:
        return reports.URGE_NONE.format(period=periods.label(period)), "ok"
    parts = []
    if result["sent"]:
        parts.append(reports.URGED.format(count=len(result["sent"]), names="、".join(result["sent"])))
    if result["already"]:
        parts.append(reports.URGED_ALREADY.format(names="、".join(result["already"])))
    return " ".join(parts), "ok" if result["sent"] else "error"


def _year() -> int:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else g.now.astimezone(g.settings.tz).year


def _period(value: str | None) -> str:
    """A valid period not after this month, else the office's default."""
    period = periods.parse_month(value or "")
    this_month = periods.month_of(g.now.astimezone(g.settings.tz).date())
    return period if period and period <= this_month else office_period(g.settings, g.now)


def _deadline(period: str) -> str:
    return reports.deadline_label(period, build_calendar(g.settings), g.settings.reports)


@bp.get("/reports")
def reports_page():
    period = _period(request.args.get("period"))
    year = _year() if request.args.get("year") else int(period[:4])
    cons = g.consortium
    matrix = exports.report_matrix(g.db, cons.id, year, today_period=g.now.astimezone(g.settings.tz).strftime("%Y-%m"))
    return render_template("admin/reports.html", matrix=matrix, year=year, labels=exports.REPORT_STATE_LABELS,
                           count_labels=exports.COUNT_LABELS, page_id="reports", period=period,
                           period_label=periods.label(period), deadline=_deadline(period),
                           periods=[periods.shift_month(office_period(g.settings, g.now), -i) for i in range(12)],
                           missing=reports.missing_branches(g.db, cons.id, period),
                           log=reminder_log.period_log(g.db, cons.id, period), tz=g.settings.tz,
                           titles=schedule_titles(g.settings), status_labels=STATUS_LABELS)


@bp.post("/reports/urge")
def reports_urge():
    require_write()
    period = _period(request.form.get("period"))
    result = reports.urge_missing(g.db, g.consortium.id, period, _deadline(period), now=g.now, tz=g.settings.tz,
                                  sandbox=g.settings.sandbox)
    g.db.commit()
    flash(*urge_message(result, period))
    return redirect(url_for("admin.reports_page", period=period) + "#urge")


@bp.get("/reports/export.<fmt>")
def reports_export(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    year = _year()
    cons = g.consortium
    buffer = io.BytesIO()
    exports.export_reports(g.db, cons.id, year, g.settings.tz, buffer, fmt,
                           today_period=g.now.astimezone(g.settings.tz).strftime("%Y-%m"))
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"月报-{year}.{fmt}",
                     mimetype="text/csv; charset=utf-8" if fmt == "csv" else
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
