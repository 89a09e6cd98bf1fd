"""Operations endpoints: /healthz (process up), /readyz (dependencies), /metrics (Prometheus)."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from sqlalchemy import text

from models.db import schema_status


bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    state = current_app.extensions["tongxin"]
    checks = {"routing": state.rules is not None}
    try:
        with state.session_factory() as session:
            session.execute(text("SELECT 1"))
            checks["database"] = True
            checks["schema"] = schema_status(session) == "current"
    except Exception as exc:  # any failure to reach the database is "not ready"
        checks["database"] = False
        checks["schema"] = False
        checks["error"] = exc.__class__.__name__
    checks["spool_pending"] = state.spool.pending() if state.spool else 0
    ready = checks["routing"] and checks["database"] and checks["schema"]
    return checks | {"status": "ready" if ready else "not ready"}, 200 if ready else 503


@bp.get("/metrics")
def metrics():
    state = current_app.extensions["tongxin"]
    token = state.settings.metrics_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token:
        if not hmac.compare_digest(given, token):
            return Response("forbidden", status=403)
    elif request.remote_addr not in ("127.0.0.1", "::1"):
        return Response("metrics are served to localhost only (set METRICS_TOKEN)", status=403)
    body = state.metrics.render()
    if state.fast_lane is not None:
        writer = state.fast_lane.writer
        body += ("# TYPE tongxin_group_commits_total counter\n"
                 f"tongxin_group_commits_total {writer.groups}\n"
                 "# TYPE tongxin_group_commit_rows_total counter\n"
                 f"tongxin_group_commit_rows_total {writer.rows}\n")
    return Response(body, mimetype="text/plain; version=0.0.4")
