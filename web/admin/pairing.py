"""Pairing work in the console: 四个一 matrix with agreements, activities, needs lists, the year-end
summary, and the bureau's view of every consortium side by side."""
from __future__ import annotations

import io
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for

from models.pairing import FOUR_ITEMS
from services.pairing import activities
from services.reports import bureau
from services.org import structure as org
from services.pairing import agreements as pairing
from services.reports import summary
from services.tasks import lifecycle as tasks
from services.pairing.agreements import ITEM_LABELS, KIND_LABELS
from services.shared import periods
import web.admin.scope as scope
from web.admin.base import bp, committed, require_write


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEED_ERRORS = {"not_found": "没有找到诉求 {number}。", "no_unit": "{number} 不是成员单位提交的诉求。",
               "not_paired": "{unit}没有结对支部。", "branch_not_paired": "{branch}与{unit}没有结对关系。"}


def _date_field(name: str) -> date | None:
    value = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _targets() -> dict[str, int]:
    result = {}
    for item in FOUR_ITEMS:
        value = request.form.get(f"target_{item}", "1").strip()
        result[item] = int(value) if value.isdigit() else 1
    return result


def _year() -> int:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else g.now.astimezone(g.settings.tz).year


def _today() -> date:
    return g.now.astimezone(g.settings.tz).date()


@bp.get("/pairings")
def pairings_page():
    year = _year()
    rows = pairing.pairing_rows(g.db, year, consortium_id=g.consortium.id)
    return render_template("admin/pairings.html", rows=rows, year=year, four=FOUR_ITEMS, labels=ITEM_LABELS,
                           stats=pairing.completion(rows), page_id="pairings")


@bp.post("/pairings/<int:pairing_id>")
def pairing_update(pairing_id: int):
    require_write()
    try:
        p = pairing.get_pairing(g.db, pairing_id, g.consortium.id)
        pairing.update_agreement(g.db, p, signed_on=_date_field("signed_on"), ends_on=_date_field("ends_on"),
                                 duties=request.form.get("duties", "").splitlines(), targets=_targets(),
                                 now=g.now)
    except pairing.PairingError as exc:
        g.db.rollback()
        if exc.code == "not_found":
            abort(404)
        flash("结束日期不能早于签订日期。" if exc.code == "bad_dates" else "目标次数应为 0-12。", "error")
        return redirect(url_for("admin.pairings_page"))
    g.db.commit()
    flash(f"已更新{p.branch.name}与{p.unit.name}的结对责任书。", "ok")
    return redirect(url_for("admin.pairings_page") + f"#p{pairing_id}")


@bp.get("/activities")
def activities_page():
    year = _year()
    rows = activities.activities_of(g.db, g.consortium.id, start=date(year, 1, 1), end=date(year, 12, 31))
    return render_template("admin/activities.html", rows=list(reversed(rows)), year=year, kinds=KIND_LABELS,
                           counts_text=activities.counts_text, page_id="activities")


@bp.get("/needs")
def needs_page():
    return render_template("admin/needs.html", needs=pairing.needs_of(g.db, g.consortium.id),
                           triage=tasks.triage_tasks(g.db, g.consortium.id),
                           paired=lambda unit_id: org.paired_branches(g.db, unit_id), page_id="needs")


@bp.post("/needs")
def need_create():
    require_write()
    number = request.form.get("number", "").strip().upper()
    try:
        task = tasks.get_task(g.db, number, g.consortium.id)
        branch = org.branch_by_code(g.db, g.consortium.id, request.form.get("branch", ""))
        pairing.mark_need(g.db, task, branch=branch, marked_by=f"控制台 {g.admin.username}", now=g.now)
    except tasks.TaskError:
        g.db.rollback()
        flash(NEED_ERRORS["not_found"].format(number=number), "error")
        return redirect(url_for("admin.needs_page"))
    except pairing.PairingError as exc:
        g.db.rollback()
        flash(NEED_ERRORS[exc.code].format(**{"number": number, **exc.info}), "error")
        return redirect(url_for("admin.needs_page"))
    return committed(f"已将 {task.number} 列入需求清单。", "admin.needs_page")


@bp.post("/needs/<int:need_id>/status")
def need_status(need_id: int):
    require_write()
    try:
        pairing.set_need_status(g.db, need_id, g.consortium.id, request.form.get("status", ""))
    except pairing.PairingError:
        abort(404)
    g.db.commit()
    return redirect(url_for("admin.needs_page"))


@bp.get("/summary")
def summary_page():
    year = _year()
    rows = summary.year_summary(g.db, g.consortium.id, year, tz=g.settings.tz, today=_today())
    return render_template("admin/summary.html", rows=rows, year=year, kinds=KIND_LABELS, page_id="summary")


@bp.get("/summary/export.xlsx")
def summary_export():
    year, buffer = _year(), io.BytesIO()
    summary.export_summary(g.db, [g.consortium], year, buffer, tz=g.settings.tz, today=_today())
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True,
                     download_name=f"年度服务统计-{g.consortium.code}-{year}.xlsx")


def _period() -> str:
    return request.args.get("period") or periods.previous_month(_today())


@bp.get("/bureau")
def bureau_page():
    scope.require_bureau()
    year, period = _year(), _period()
    return render_template("admin/bureau.html", rows=bureau.overview(g.db, year=year, period=period),
                           year=year, period=period, four=FOUR_ITEMS, labels=ITEM_LABELS, page_id="bureau")


@bp.get("/bureau/export.xlsx")
def bureau_export():
    scope.require_bureau()
    year, buffer = _year(), io.BytesIO()
    bureau.export_workbook(g.db, buffer, year=year, period=_period(), tz=g.settings.tz, today=_today())
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=f"卫健局汇总-{year}.xlsx")
