"""Monthly reports (月报): the branch × month matrix and its export."""
from __future__ import annotations

import io

from flask import Blueprint, abort, g, render_template, request, send_file

from handlers.webhook import WebhookState
from services import exports, org


def register(bp: Blueprint, state: WebhookState) -> None:
    tz = state.settings.tz

    def _year() -> int:
        value = request.args.get("year", "")
        return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else g.now.astimezone(tz).year

    @bp.get("/reports")
    def reports_page():
        year = _year()
        cons = g.consortium
        matrix = exports.report_matrix(g.db, cons.id, year, today_period=g.now.astimezone(tz).strftime("%Y-%m")) \
            if cons else []
        return render_template("admin/reports.html", matrix=matrix, year=year, labels=exports.REPORT_STATE_LABELS,
                               count_labels=exports.COUNT_LABELS, page_id="reports")

    @bp.get("/reports/export.<fmt>")
    def reports_export(fmt: str):
        if fmt not in exports.FORMATS:
            abort(404)
        year = _year()
        cons = g.consortium
        buffer = io.BytesIO()
        exports.export_reports(g.db, cons.id, year, tz, buffer, fmt,
                               today_period=g.now.astimezone(tz).strftime("%Y-%m"))
        buffer.seek(0)
        return send_file(buffer, as_attachment=True, download_name=f"月报-{year}.{fmt}",
                         mimetype="text/csv; charset=utf-8" if fmt == "csv" else
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
