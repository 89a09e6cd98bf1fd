"""The committee office's web console at /admin: blueprint factory, login guard and CSRF."""
from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, g, redirect, request, session, url_for

from handlers.webhook import WebhookState
from services import admin_accounts

PUBLIC_ENDPOINTS = {"admin.login", "admin.static"}


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


def make_admin(state: WebhookState) -> Blueprint:
    """Build the /admin blueprint over the app's state (settings, session factory, clock)."""
    from web.admin import auth, org_pages, pages, pairing_pages, reports_pages, schedule_pages, scope

    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                   static_folder="static", static_url_path="/static")

    @bp.record_once
    def _configure(setup) -> None:
        setup.app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
        setup.app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)

    @bp.before_request
    def _guard() -> Any:
        g.db = state.session_factory()
        g.now = state.clock()
        if request.method == "POST":
            _check_csrf()
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        g.admin = admin_accounts.get_account(g.db, session.get("admin_id"))
        if g.admin is None:
            return redirect(url_for("admin.login", next=request.full_path))
        g.consortium = scope.resolve(g.db, state.settings, g.admin, request.args.get("consortium"))
        return None

    @bp.teardown_request
    def _close(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @bp.app_context_processor
    def _inject() -> dict:
        return {"csrf_token": csrf_token, "console_sandbox": state.settings.sandbox}

    for module in (auth, pages, org_pages, reports_pages, schedule_pages, pairing_pages):
        module.register(bp, state)
    return bp


def require_write() -> None:
    """Office accounts only: a viewer gets 403."""
    if not getattr(g, "admin", None) or not g.admin.can_write:
        abort(403, description="只读账号不能执行此操作")
