"""People and units (branches, pairings, bound people, invite codes with QR images) and the outbox."""
from __future__ import annotations

import io

import segno
from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from models.org import Invite, Person
from services.tasks import ledger
from services.org import structure as org
from services.org import people
import web.admin.scope as scope
from web.admin.base import bp, committed, require_write


ROLE_LABELS = {"member": "成员", "secretary": "支部书记", "office": "党办", "admin": "管理员"}
# Invite roles a console account may see and print: a staff code in a viewer's hands makes them staff.
INVITE_ROLES_FOR = {"office": ("member", "secretary", "office", "admin")}
POSTER_ROLES = ("member",)


def invite_roles() -> tuple[str, ...]:
    return INVITE_ROLES_FOR.get(g.admin.role, POSTER_ROLES) if g.admin.can_write else POSTER_ROLES


def invite_qr_text(invite: Invite, sandbox: bool) -> str:
    """What the QR holds: the bind text in sandbox mode, else the invite code as the QR scene value."""
    return f"绑定 {invite.code}" if sandbox else invite.code


@bp.get("/people")
def people_page():
    org.sync_org(g.db, g.settings)
    g.db.commit()
    cid = g.consortium.id  # only the account's consortium
    bound = g.db.scalars(select(Person).where(Person.role.is_not(None), Person.consortium_id == cid)
                         .order_by(Person.role, Person.branch_id, Person.unit_id, Person.id)).all()
    invites = people.open_invites(g.db, cid, invite_roles(), now=g.now)
    code = g.consortium.code
    return render_template("admin/people.html", units=[u for u in org.list_units(g.db) if u["consortium"] == code],
                           branches=[b for b in org.list_branches(g.db) if b["consortium"] == code],
                           bound=bound, invites=invites, roles=ROLE_LABELS, page_id="people",
                           branch_rows=g.db.scalars(select(org.Branch).where(org.Branch.consortium_id == cid)
                                                    .order_by(org.Branch.id)).all(),
                           unit_rows=g.db.scalars(select(org.Unit).where(org.Unit.consortium_id == cid)
                                                  .order_by(org.Unit.id)).all(),
                           tz=g.settings.tz)


@bp.post("/invites")
def invite_create():
    require_write()
    role = request.form.get("role", "")
    cons = g.consortium
    branch = org.branch_by_code(g.db, cons.id, request.form.get("branch", "")) if cons else None
    unit = org.find_unit(g.db, request.form.get("unit", ""))
    unit = unit if unit is not None and unit.consortium_id == cons.id else None
    try:
        invite = people.create_invite(g.db, role=role, consortium=cons, now=g.now,
                                      ttl_days=365 if role == "member" else g.settings.invite_ttl_days,
                                      branch=branch if role == "secretary" else None,
                                      unit=unit if role == "member" else None,
                                      deputy=request.form.get("deputy") == "1")
    except people.InviteError:
        g.db.rollback()
        flash("请为支部书记选择支部、为成员选择单位。", "error")
        return redirect(url_for("admin.people_page"))
    g.db.commit()
    flash(f"已生成邀请码 {invite.code}（{ROLE_LABELS.get(role, role)}），可下载二维码。", "ok")
    return redirect(url_for("admin.people_page") + f"#invite-{invite.code}")


@bp.get("/invites/<code>.png")
def invite_qr(code: str):
    invite = g.db.scalar(select(Invite).where(Invite.code == code.upper()))
    if (invite is None or invite.consortium_id != g.consortium.id or invite.role not in invite_roles()
            or not people.invite_open(invite, g.now)):
        abort(404)
    buffer = io.BytesIO()
    segno.make(invite_qr_text(invite, g.settings.sandbox), error="m").save(buffer, kind="png", scale=10,
                                                                         border=4)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png", as_attachment=request.args.get("download") == "1",
                     download_name=f"邀请码-{invite.code}.png")


@bp.post("/invites/<code>/revoke")
def invite_revoke(code: str):
    require_write()
    invite = g.db.scalar(select(Invite).where(Invite.code == code.upper()))
    if invite is None or invite.consortium_id != g.consortium.id:
        abort(404)
    people.revoke_invite(g.db, invite.code)
    return committed(f"邀请码 {invite.code} 已作废，不能再用于绑定。", "admin.people_page")


@bp.post("/people/<int:person_id>/unbind")
def person_unbind(person_id: int):
    require_write()
    person = g.db.get(Person, person_id)
    if person is None or person.consortium_id != g.consortium.id:
        abort(404)
    name = person.display
    people.unbind(g.db, person, now=g.now, sandbox=g.settings.sandbox)
    return committed(f"已解除 {name} 的绑定。", "admin.people_page")


@bp.get("/outbox")
def outbox_page():
    mine = scope.openids_of_consortium(g.db, g.consortium.id)
    failed = [m for m in ledger.undelivered(g.db) if m.to_openid in mine]
    recent = [m for m in ledger.recent_outbox(g.db, limit=300) if m.to_openid in mine][:30]
    names = ledger.people_by_openid(g.db, list({m.to_openid for m in failed + recent}))
    return render_template("admin/outbox.html", failed=failed, recent=recent, names=names, tz=g.settings.tz,
                           page_id="outbox")


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry(message_id: int):
    require_write()
    from models.outbox import OutboxMessage
    target = g.db.get(OutboxMessage, message_id)
    if target is None or target.to_openid not in scope.openids_of_consortium(g.db, g.consortium.id):
        abort(404)
    row = ledger.retry_message(g.db, message_id, now=g.now, sandbox=g.settings.sandbox)
    g.db.commit()
    flash(f"消息 #{message_id} 已重新排队发送。" if row else f"消息 #{message_id} 不是失败状态，无需重试。",
          "ok" if row else "error")
    return redirect(url_for("admin.outbox_page"))
