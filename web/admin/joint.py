"""督办 page (items, overdue first; file, confirm, reopen; unit contacts) and 考核 page (rubric beside scores)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from models.org import Branch, Person, Unit
from services.joint import contacts, listing, scores
from services.joint import items as svc
from services.joint.items import JointError, Owner
import web.admin.scope as scope
from web.admin.base import bp, committed, require_write

ITEM_ERRORS = {"no_owner": "请选择责任支部或单位。", "no_due": "请填写完成日期。", "past_due": "完成日期已过。",
               "no_title": "请填写事项内容。", "not_found": "没有找到督办事项 {number}。",
               "not_done": "{number} 尚未报完成，不能确认。", "still_open": "{number} 仍在办理中。",
               "reopen_usage": "请填写重开原因。"}


def _today() -> date:
    return g.now.astimezone(g.settings.tz).date()


def _office_person() -> Person | None:
    """The item's author: an office person of the consortium (console accounts are not WeChat people)."""
    return g.db.scalars(select(Person).where(Person.consortium_id == g.consortium.id,
                                             Person.role.in_(("office", "admin"))).order_by(Person.id)).first()


@bp.get("/items")
def items_page():
    status = request.args.get("status", "")
    rows = listing.query(g.db, today=_today(), consortium_id=g.consortium.id,
                         status=status if status in listing.STATUS_FILTERS else None,
                         owner=request.args.get("owner", "").strip() or None)
    cid = g.consortium.id
    units = g.db.scalars(select(Unit).where(Unit.consortium_id == cid).order_by(Unit.id)).all()
    return render_template("admin/items.html", rows=listing.to_dicts(g.db, rows, today=_today()), units=units,
                           branches=g.db.scalars(select(Branch).where(Branch.consortium_id == cid).order_by(Branch.id)).all(),
                           unit_contacts=contacts.contacts(g.db, cid), status=status, page_id="items",
                           people=g.db.scalars(select(Person).where(Person.consortium_id == cid,
                                                                    Person.role.is_not(None)).order_by(Person.id)).all())


def _refused(exc: JointError):
    flash(ITEM_ERRORS.get(exc.code, exc.code).format(**exc.info), "error")
    return redirect(url_for("admin.items_page"))


@bp.post("/items")
def item_create():
    require_write()
    author = _office_person()
    form = request.form
    kind, _, ident = form.get("owner", "").partition(":")
    owner = None
    if kind == "b" and ident.isdigit():
        branch = g.db.get(Branch, int(ident))
        owner = Owner(branch=branch) if branch and branch.consortium_id == g.consortium.id else None
    elif kind == "u" and ident.isdigit():
        unit = g.db.get(Unit, int(ident))
        owner = Owner(unit=unit) if unit and unit.consortium_id == g.consortium.id else None
    try:
        if owner is None:
            raise JointError("no_owner")
        try:
            due = date.fromisoformat(form.get("due", ""))
        except ValueError:
            raise JointError("no_due") from None
        if due < _today():
            raise JointError("past_due")
        if not form.get("title", "").strip() or author is None:
            raise JointError("no_title")
        item = svc.create(g.db, author, owner, due, form["title"].strip()[:500], g.settings.meetings, now=g.now,
                          sandbox=g.settings.sandbox)
    except JointError as exc:
        return _refused(exc)
    return committed(f"已立督办事项 {item.number}，已通知{owner.name}。", "admin.items_page")


@bp.post("/items/<number>/<action>")
def item_action(number: str, action: str):
    require_write()
    if action not in ("confirm", "reopen"):
        abort(404)
    author = _office_person()
    try:
        if author is None:
            raise JointError("not_found", number=number)
        if action == "confirm":
            svc.confirm(g.db, author, number, now=g.now, sandbox=g.settings.sandbox)
        else:
            svc.reopen(g.db, author, number, request.form.get("reason", "").strip()[:500], now=g.now,
                       sandbox=g.settings.sandbox)
    except JointError as exc:
        return _refused(exc)
    return committed(f"{number} 已{'确认办结' if action == 'confirm' else '重开'}。", "admin.items_page")


@bp.post("/units/<code>/contact")
def unit_contact(code: str):
    require_write()
    unit = g.db.scalar(select(Unit).where(Unit.code == code, Unit.consortium_id == g.consortium.id))
    if unit is None:
        abort(404)
    pid = request.form.get("person", "")
    person = g.db.get(Person, int(pid)) if pid.isdigit() else None
    if person is not None and person.consortium_id != g.consortium.id:
        abort(403)
    contacts.set_contact(g.db, unit, person, now=g.now)
    return committed(f"{unit.name} 联络人已{'设为' + person.display if person else '清除'}。", "admin.items_page")


@bp.get("/scores")
def scores_page():
    period = request.args.get("period", "") or str(_today().year)
    try:
        scores.window(period, g.settings, now=g.now)
    except scores.ScoreError:
        period = str(_today().year)
    bureau = g.admin.role == "bureau"
    rows = scores.score(g.db, g.settings, period, now=g.now, consortium=None if bureau else g.consortium.code)
    names = {(b.consortium.code, b.code): b.name for b in g.db.scalars(select(Branch))}
    cons = {c.code: c.name for c in scope.consortia()} if bureau else {g.consortium.code: g.consortium.name}
    return render_template("admin/scores.html", rows=rows, names=names, cons=cons, period=period,
                           ranking=scores.consortium_ranking(rows) if bureau else [],
                           rubric=g.settings.rubric, page_id="scores")
