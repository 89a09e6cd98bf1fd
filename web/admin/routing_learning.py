"""路由学习: suggestions from the office's corrections with their evidence and replayed effect;
one-click accept/reject/undo for office accounts (role and consortium checked here, CSRF by the guard)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from models.org import Branch
from services.routing import learning
from web.admin.base import bp, require_write


DONE = {"accept": "已采纳“{word}”→{branch}：各服务进程 {seconds} 秒内生效。",
        "reject": "已忽略“{word}”，不再建议。", "undo": "已撤销对“{word}”的决定。"}


def _rules():
    return g.state.live_rules.current(g.consortium.id, g.now)


@bp.get("/routing")
def routing_page():
    rules = _rules()
    found = learning.suggestions(g.db, rules, g.consortium.id)
    past = learning.past_requests(g.db, g.consortium.id)
    effects = {(s.word, s.branch): learning.replay(g.db, rules, g.consortium.id, s.word, s.branch, past=past)
               for s in found}
    return render_template("admin/routing.html", suggestions=found, effects=effects, names=_branch_names(),
                           history=learning.history(g.db, g.consortium.id), tz=g.settings.tz,
                           page_id="routing")


@bp.post("/routing/<action>")
def routing_decide(action: str):
    require_write()
    word = request.form.get("word", "").strip()[:64]
    who = g.admin.username
    try:
        if action == "accept":
            row = learning.accept(g.db, g.consortium.id, word, request.form.get("branch", ""), who=who, now=g.now)
        elif action == "reject":
            row = learning.reject(g.db, g.consortium.id, word, who=who, now=g.now)
        elif action == "undo":
            row = learning.undo(g.db, g.consortium.id, word, who=who, now=g.now)
        else:
            return ("unknown action", 404)
    except learning.LearningError as exc:
        g.db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.routing_page"))
    g.db.commit()
    g.state.live_rules.invalidate()  # this process at once; the others within the refresh interval
    flash(DONE[action].format(word=row.word, branch=_branch_names().get(row.branch, ""),
                              seconds=g.settings.routing.overlay_refresh_seconds), "ok")
    return redirect(url_for("admin.routing_page"))


def _branch_names() -> dict[str, str]:
    names = dict(g.db.execute(select(Branch.code, Branch.name).where(Branch.consortium_id == g.consortium.id)).all())
    return {**names, "triage": "待分派"}
