"""Dashboard, ledger (台账), a task's page with reassignment, ledger exports."""
from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from models.org import Branch, Unit
from models.task import STATUS_LABELS
from services.reports import exports
from services.tasks import ledger
from services.tasks import lifecycle as tasks
from services.shared import periods
from web.admin.base import bp, require_write


TASK_ERRORS = {"same_branch": "该诉求已在{branch}，无需改派。", "unknown_branch": "没有找到支部「{name}」。",
               "bad_state": "诉求 {number} 当前状态为{status}，不能改派。",
               "conflict": "诉求 {number} 刚刚被{who}处理，请刷新后再试。", "not_found": "没有找到诉求 {number}。",
               "branch_missing": "请选择要改派到的支部。"}


def _filter_from(args) -> ledger.LedgerFilter:
    """The console's filter, always within the account's consortium (g.consortium)."""
    month = args.get("month", "").strip()
    try:
        if month:
            periods.split_month(month)
    except ValueError:
        month = ""
    status = args.get("status", "")
    return ledger.LedgerFilter(month=month, branch=args.get("branch", "").strip(), unit=args.get("unit", "").strip(),
                               status=status if status in (*STATUS_LABELS, "overdue") else "",
                               text=args.get("q", args.get("text", "")).strip()[:100], consortium_id=g.consortium.id)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _choices(consortium_id: int | None = None) -> dict:
    consortium_id = g.consortium.id if consortium_id is None else consortium_id
    branches = g.db.scalars(select(Branch).where(Branch.consortium_id == consortium_id).order_by(Branch.id)).all()
    units = g.db.scalars(select(Unit).where(Unit.consortium_id == consortium_id).order_by(Unit.id)).all()
    return {"branches": branches, "units": units, "statuses": STATUS_LABELS}


def this_month() -> str:
    return g.now.astimezone(g.settings.tz).strftime("%Y-%m")


@bp.get("/")
def dashboard():
    month = request.args.get("month") or this_month()
    try:
        periods.split_month(month)
    except ValueError:
        month = this_month()
    cons = g.consortium
    data = ledger.dashboard(g.db, cons.id, month, g.settings.tz, now=g.now)
    return render_template("admin/dashboard.html", data=data, months=ledger.months_with_tasks(
        g.db, g.settings.tz, today=g.now.astimezone(g.settings.tz).date(), consortium_id=cons.id), consortium=cons,
        page_id="dashboard")


@bp.get("/ledger")
def ledger_page():
    flt = _filter_from(request.args)
    result = ledger.page(g.db, flt, g.settings.tz, before=_int_arg("before"), after=_int_arg("after"))
    return render_template("admin/ledger.html", result=result, flt=flt, tz=g.settings.tz, page_id="ledger",
                           months=ledger.months_with_tasks(g.db, g.settings.tz, today=g.now.astimezone(g.settings.tz).date(),
                                                           consortium_id=g.consortium.id),
                           **_choices())


@bp.get("/ledger/export.<fmt>")
def ledger_export(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    flt = _filter_from(request.args)
    buffer = io.BytesIO()
    exports.export_ledger(g.db, flt, g.settings.tz, buffer, fmt)
    buffer.seek(0)
    mimetype = ("text/csv; charset=utf-8" if fmt == "csv" else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return send_file(buffer, mimetype=mimetype, as_attachment=True,
                     download_name=exports.ledger_filename(flt, fmt))


@bp.get("/tasks/<number>")
def task_page(number: str):
    try:
        task = tasks.get_task(g.db, number, g.consortium.id)
    except tasks.TaskError:
        abort(404)
    return render_template("admin/task.html", task=task, events=tasks.history(g.db, task), tz=g.settings.tz,
                           page_id="ledger", **_choices())


@bp.post("/tasks/<number>/reassign")
def task_reassign(number: str):
    require_write()
    note = request.form.get("note", "").strip()[:200]
    label = f"控制台 {g.admin.username}" + (f"：{note}" if note else "")
    try:
        task = tasks.get_task(g.db, number, g.consortium.id)
        tasks.assign(g.db, None, task.number, request.form.get("branch", ""), now=g.now,
                     sandbox=g.settings.sandbox, note=label, consortium_id=task.consortium_id)
    except tasks.TaskError as exc:
        g.db.rollback()
        flash(TASK_ERRORS.get(exc.code, "操作失败：{code}").format(code=exc.code, **exc.info), "error")
        return redirect(url_for("admin.task_page", number=number))
    g.db.commit()
    flash(f"已将 {task.number} 改派至{task.branch.name}，并通知支部书记和反映人。", "ok")
    return redirect(url_for("admin.task_page", number=task.number))


def _consortium():
    from services.org import structure as org
    cons = org.consortium_by_code(g.db, None)
    if cons is None:
        org.sync_org(g.db, g.settings)
        g.db.commit()
        cons = org.consortium_by_code(g.db, None)
    return cons
