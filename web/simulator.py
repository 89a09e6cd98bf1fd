"""The sandbox simulator: a browser page that talks to /wechat exactly as WeChat's servers do.

The page signs each message itself with the sandbox token and POSTs the XML to
/wechat: the same signed path as production, no side door. The JSON endpoints
here only read (identities to pick, the outbox of one user).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select

from models.org import Person
from services.demo import seed as demo
from services.messages import outbox


bp = Blueprint("simulator", __name__, template_folder="templates", static_folder="static",
               static_url_path="/simulator/static")


@bp.get("/simulator")
def page():
    return render_template("simulator.html", token=_state().settings.wechat.token)


@bp.get("/simulator/api/identities")
def identities():
    with _state().session_factory() as session:
        people = session.scalars(select(Person).where(Person.role.is_not(None)).order_by(Person.id)).all()
        rows = [{"openid": p.openid, "name": p.display, "role": p.role,
                 "where": p.branch.name if p.branch else (p.unit.name if p.unit else "党委办公室")}
                for p in people]
        invites = demo.demo_invites(session, now=_state().clock())
    return jsonify({"people": rows, "invites": invites})


@bp.get("/simulator/api/outbox")
def outbox_of():
    openid = request.args.get("openid", "")
    with _state().session_factory() as session:
        rows = [m.to_dict() for m in outbox.list_messages(session, to=openid, limit=50)] if openid else []
    return jsonify(rows)


def _state():
    return current_app.extensions["tongxin"]
