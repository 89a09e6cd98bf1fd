"""The /admin blueprint itself: login guard, security headers, CSRF, the write-role check.

Page modules (one per feature) add their routes to `bp` at import; web/admin/__init__.py imports them.
"""
from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for

from services.org import accounts as admin_accounts
import web.admin.scope as scope


PUBLIC_ENDPOINTS = {"admin.login", "admin.static"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SEEN_EVERY = 60  # seconds: how often the idle clock in the cookie is refreshed


def csrf_token() -> str:
    """The session's CSRF token (created on first use); every form posts it back."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not secrets.compare_digest(sent, expected):
        abort(400, description="CSRF token missing or invalid")


bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.record_once
def _configure(setup) -> None:
    settings = setup.app.extensions["tongxin"].settings
    setup.app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
                            SESSION_COOKIE_SECURE=settings.env == "production")


@bp.before_request
def _guard() -> Any:
    g.state = current_app.extensions["tongxin"]
    g.settings = g.state.settings
    g.db = g.state.session_factory()
    g.now = g.state.clock()
    if request.method == "POST":
        _check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    g.admin = _session_account(g.settings.admin_session_hours)
    if g.admin is None:
        session.clear()
        return redirect(url_for("admin.login", next=request.full_path))
    g.consortium = scope.resolve(g.db, g.settings, g.admin, request.args.get("consortium"))
    return None


@bp.after_request
def _headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.teardown_request
def _close(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@bp.app_context_processor
def _inject() -> dict:
    return {"csrf_token": csrf_token, "console_sandbox": current_app.extensions["tongxin"].settings.sandbox}


def _session_account(idle_hours: int):
    """The logged-in account, or None when the cookie is from an older session version or idle too long."""
    account = admin_accounts.get_account(g.db, session.get("admin_id"))
    if account is None or session.get("ver") != account.session_version:
        return None
    now = int(g.now.timestamp())
    seen = session.get("seen")
    if not isinstance(seen, int) or now - seen > idle_hours * 3600:
        return None
    if now - seen >= SEEN_EVERY:
        session["seen"] = now
    return account


def require_write() -> None:
    """Office accounts only: a viewer gets 403."""
    if not getattr(g, "admin", None) or not g.admin.can_write:
        abort(403, description="只读账号不能执行此操作")


def committed(message: str, endpoint: str, **values: Any):
    """Commit the change, say so, and go back to the page (post/redirect/get)."""
    g.db.commit()
    flash(message, "ok")
    return redirect(url_for(endpoint, **values))
