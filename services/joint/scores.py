"""The branch score (考核): every part of `rubric:` computed from the records, nothing stored.

A part scores `weight * min(1, value / target)`; a part with nothing to count (value None)
scores full marks. `score(...)` gives one row per branch, highest first:
{"branch", "consortium", "score", "parts": {name: {"value", "target", "points"}}}.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from models.org import Branch, Consortium
from services.joint import measures as m

PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


class ScoreError(ValueError):
    pass


def window(period: str, settings: Settings, *, now: datetime) -> m.Window:
    """`2026` (the year) or `2026-Q4`, as a measuring window cut at `now`."""
    match = PERIOD.match(period or "")
    if not match:
        raise ScoreError(f"expected YYYY or YYYY-Qn, got {period!r}")
    year, q = int(match.group(1)), match.group(2)
    first, months = (1, 12) if q is None else ((int(q) - 1) * 3 + 1, 3)
    index = year * 12 + first - 1 + months
    tz = settings.tz
    return m.Window(datetime(year, first, 1, tzinfo=tz), datetime(index // 12, index % 12 + 1, 1, tzinfo=tz), now, tz)


def _value(session: Session, name: str, branch_id: int, w: m.Window, settings: Settings) -> float | None:
    year = w.start.year
    if name == "meetings":
        return m.meetings_held(session, branch_id, settings.meetings, w)
    if name == "attendance":
        return m.attendance(session, branch_id, w)
    if name == "reports":
        return m.reports_on_time(session, branch_id, w)
    if name == "requests":
        return m.requests_in_time(session, branch_id, w)
    if name == "rating":
        return m.average_rating(session, branch_id, w)
    if name == "four_ones":
        return m.four_ones(session, branch_id, year)
    if name == "items":
        return m.items_on_time(session, branch_id, w)
    return m.plan_progress(session, branch_id, year, settings.meetings, w.tz, now=w.now)


def branch_score(session: Session, branch: Branch, w: m.Window, settings: Settings) -> dict:
    parts = {}
    for part in settings.rubric.parts:
        value = _value(session, part.name, branch.id, w, settings)
        points = part.weight if value is None else part.weight * min(1.0, value / part.target)
        parts[part.name] = {"value": value, "target": part.target, "points": round(points, 1)}
    return {"branch": branch.code, "consortium": branch.consortium.code,
            "score": round(sum(p["points"] for p in parts.values()), 1), "parts": parts}


def score(session: Session, settings: Settings, period: str, *, now: datetime,
          consortium: str | None = None) -> list[dict]:
    """Every branch (of one consortium, by code), highest score first."""
    w = window(period, settings, now=now)
    q = select(Branch).join(Consortium, Consortium.id == Branch.consortium_id).order_by(Consortium.id, Branch.id)
    if consortium:
        q = q.where(Consortium.code == consortium)
    rows = [branch_score(session, b, w, settings) for b in session.scalars(q)]
    return sorted(rows, key=lambda r: -r["score"])


def consortium_ranking(rows: list[dict]) -> list[dict]:
    """Consortia by the mean score of their branches: [{"consortium", "branches", "score"}]."""
    by: dict[str, list[float]] = {}
    for r in rows:
        by.setdefault(r["consortium"], []).append(r["score"])
    out = [{"consortium": c, "branches": len(s), "score": round(sum(s) / len(s), 1)} for c, s in by.items()]
    return sorted(out, key=lambda r: -r["score"])
