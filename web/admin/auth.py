"""Login and logout of the console (rate-limited, session cookie)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from handlers.webhook import WebhookState
from services import admin_accounts

LOGIN_ERRORS = {"invalid": "用户名或密码错误。",
                "locked": "登录失败次数过多，请 15 分钟后再试。"}


def _safe_next(target: str | None) -> str:
    """Only local paths under /admin; anything else goes to the dashboard."""
    if target and target.startswith("/admin") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("admin.dashboard")


def client_ip() -> str:
    return request.remote_addr or "unknown"


def register(bp: Blueprint, state: WebhookState) -> None:
    @bp.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return render_template("admin/login.html", error=None, username="",
                                   next=request.args.get("next", ""))
        username = request.form.get("username", "")
        try:
            account = admin_accounts.authenticate(g.db, username, request.form.get("password", ""),
                                                  client_ip(), now=g.now)
        except admin_accounts.LoginError as exc:
            g.db.commit()
            status = 429 if exc.reason == "locked" else 401
            return render_template("admin/login.html", error=LOGIN_ERRORS[exc.reason], username=username,
                                   next=request.form.get("next", "")), status
        g.db.commit()
        csrf = session.get("csrf")
        session.clear()
        session["admin_id"] = account.id
        session["csrf"] = csrf
        return redirect(_safe_next(request.form.get("next")))

    @bp.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("admin.login"))
