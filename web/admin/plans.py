"""A branch's yearly plan (年度计划: view, edit, progress) and its year-end 述职评议 draft (printable, editable)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from services.joint import plans, review
from web.admin.base import bp, require_write
from web.admin.meetings import cons_arg, own_branch, year_arg


def _count(name: str) -> int | None:
    value = request.form.get(name, "").strip() or "0"
    return int(value) if value.isdigit() and int(value) <= 999 else None


@bp.get("/plans/<code>")
def plan_page(code: str):
    branch, year = own_branch(code), year_arg()
    plan = plans.get_plan(g.db, branch.id, year)
    progress = plans.progress(g.db, branch.id, year, g.settings, now=g.now)
    return render_template("admin/plan.html", branch=branch, year=year, plan=plan, progress=progress,
                           ca=cons_arg(), page_id="orglife")


@bp.post("/plans/<code>")
def plan_save(code: str):
    require_write()
    branch, year = own_branch(code), year_arg()
    counts = [_count(name) for name in ("pairing", "clinics", "each_pairing", "each_clinics")]
    themes = plans.split_list(request.form.get("themes", ""))
    if None in counts or len(themes) > 12:
        flash("结对活动、义诊次数应为 0–999 的整数；主题党日主题最多 12 个。", "error")
    else:
        plans.save_plan(g.db, branch, year, themes=themes, topics=plans.split_list(request.form.get("topics", "")),
                        pairing=counts[0], clinics=counts[1], per_pairing=plans.pairing_targets_of(*counts[2:]),
                        points=request.form.get("points", "").strip()[:5000], now=g.now)
        g.db.commit()
        flash("年度计划已保存。", "ok")
    return redirect(url_for("admin.plan_page", code=branch.code, year=year, **cons_arg()))


@bp.get("/plans/<code>/review")
def review_page(code: str):
    branch, year = own_branch(code), year_arg()
    text, edited = review.draft(g.db, branch, year, g.settings, now=g.now)
    return render_template("admin/review.html", branch=branch, year=year, text=text, edited=edited,
                           paragraphs=[p for p in text.split("\n") if p.strip()], ca=cons_arg(), page_id="orglife")


@bp.post("/plans/<code>/review")
def review_save(code: str):
    require_write()
    branch, year = own_branch(code), year_arg()
    review.save(g.db, branch, year, request.form.get("text", ""), now=g.now)
    g.db.commit()
    flash("述职材料已保存。", "ok")
    return redirect(url_for("admin.review_page", code=branch.code, year=year, **cons_arg()))
