"""The party-member roster (党员名册) in the console: list by branch, add, edit, move between branches,
archive (a transferred-out member keeps their attendance history), the import template."""
from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from models.org import Branch
from models.party import PartyMember
from services.meetings import roster
from web.admin.base import bp, require_write
from web.admin.meetings import cons_arg


def branches() -> list[Branch]:
    return list(g.db.scalars(select(Branch).where(Branch.consortium_id == g.consortium.id).order_by(Branch.id)))


def own_member(member_id: int) -> PartyMember:
    member = g.db.get(PartyMember, member_id)
    if member is None or member.consortium_id != g.consortium.id:
        abort(404)
    return member


def _branch_from_form() -> Branch:
    code = request.form.get("branch", "")
    branch = next((b for b in branches() if b.code == code), None)
    if branch is None:
        raise roster.RosterError([(0, "请选择本医共体的支部")])
    return branch


def _save(member: PartyMember | None):
    """Add (member None) or edit from the posted form; back to the roster of the member's branch."""
    require_write()
    try:
        saved = roster.save_member(g.db, g.consortium.id, branch=_branch_from_form(),
                                   name=request.form.get("name", ""), status=request.form.get("status", ""),
                                   duty=request.form.get("duty", ""), group=request.form.get("group", ""),
                                   phone=request.form.get("phone", ""), now=g.now, member=member)
    except roster.RosterError as exc:
        g.db.rollback()
        flash("未保存：" + "；".join(p for _, p in exc.problems), "error")
        return redirect(url_for("admin.roster_page", branch=request.form.get("branch", ""), **cons_arg()))
    g.db.commit()
    flash(f"已保存 {saved.name}（{saved.branch.name}）。", "ok")
    return redirect(url_for("admin.roster_page", branch=saved.branch.code, **cons_arg()))


@bp.get("/roster")
def roster_page():
    rows = branches()
    branch = next((b for b in rows if b.code == request.args.get("branch")), rows[0] if rows else None)
    members = roster.members(g.db, branch_id=branch.id) if branch else []
    archived = [m for m in roster.members(g.db, branch_id=branch.id, archived=True) if m.archived_at] if branch else []
    return render_template("admin/roster.html", branches=rows, branch=branch, members=members, archived=archived,
                           statuses=roster.STATUS_LABELS, duties=roster.DUTY_LABELS, ca=cons_arg(),
                           page_id="roster")


@bp.get("/roster/<int:member_id>")
def roster_member(member_id: int):
    member = own_member(member_id)
    return render_template("admin/roster_member.html", member=member, branches=branches(),
                           statuses=roster.STATUS_LABELS, duties=roster.DUTY_LABELS, ca=cons_arg(),
                           page_id="roster")


@bp.post("/roster")
def roster_add():
    return _save(None)


@bp.post("/roster/<int:member_id>")
def roster_edit(member_id: int):
    require_write()
    return _save(own_member(member_id))


@bp.post("/roster/<int:member_id>/archive")
def roster_archive(member_id: int):
    require_write()
    member = own_member(member_id)
    roster.archive_member(g.db, member, now=g.now)
    g.db.commit()
    flash(f"{member.name} 已转出（存档），参会记录保留。", "ok")
    return redirect(url_for("admin.roster_page", branch=member.branch.code, **cons_arg()))


@bp.get("/roster/template.xlsx")
def roster_template():
    buffer = io.BytesIO()
    roster.write_template(buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="党员名册模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
