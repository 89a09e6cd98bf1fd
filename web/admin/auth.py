"""Login and logout of the console (login limits, session cookie bound to the account's session version)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, session, url_for

from services.org import accounts as admin_accounts
from web.admin.base import bp


LOGIN_ERRORS = {"invalid": "用户名或密码错误。",
                "locked": "该地址登录失败次数过多，请 15 分钟后再试。",
                "throttled": "该账号近期登录失败较多，请 {seconds} 秒后再试。"}


def _safe_next(target: str | None) -> str:
    """Only local paths under /admin; anything else goes to the dashboard."""
    if target and target.startswith("/admin") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("admin.dashboard")


def _checked_next() -> str:
    """The `next` parameter; a control character (CR/LF header injection) is a 400."""
    target = request.values.get("next", "")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        abort(400, description="invalid next parameter")
    return target


def client_ip() -> str:
    """The client's address (X-Forwarded-For is applied by ProxyFix only when TRUSTED_PROXIES > 0)."""
    return request.remote_addr or "unknown"


def start_session(account, now) -> None:
    """A fresh session for `account`: new CSRF token, the account's current session version."""
    session.clear()
    session["admin_id"] = account.id
    session["ver"] = account.session_version
    session["seen"] = int(now.timestamp())
    session["csrf"] = secrets.token_urlsafe(32)


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = _checked_next()
    if request.method == "GET":
        return render_template("admin/login.html", error=None, username="", next=target)
    username = request.form.get("username", "")
    attempt = admin_accounts.begin_attempt(g.db, username, client_ip(), now=g.now)
    g.db.commit()  # visible to concurrent attempts before the limits are read
    try:
        account = admin_accounts.finish_attempt(g.db, attempt, request.form.get("password", ""), now=g.now)
    except admin_accounts.LoginError as exc:
        g.db.commit()
        status = 401 if exc.reason == "invalid" else 429
        error = LOGIN_ERRORS[exc.reason].format(seconds=exc.retry_after)
        response = render_template("admin/login.html", error=error, username=username, next=target), status
        return response + ({"Retry-After": str(exc.retry_after)},) if exc.retry_after else response
    g.db.commit()
    start_session(account, g.now)
    return redirect(_safe_next(target))


@bp.post("/logout")
def logout():
    admin_accounts.end_sessions(g.db, g.admin)
    g.db.commit()
    session.clear()
    return redirect(url_for("admin.login"))
