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


MEASURES = {  # rubric part -> how its value is counted from records
    "meetings": lambda s, b, w, st: m.meetings_held(s, b, st.meetings, w),
    "attendance": lambda s, b, w, st: m.attendance(s, b, w),
    "reports": lambda s, b, w, st: m.reports_on_time(s, b, w),
    "requests": lambda s, b, w, st: m.requests_in_time(s, b, w),
    "rating": lambda s, b, w, st: m.average_rating(s, b, w),
    "four_ones": lambda s, b, w, st: m.four_ones(s, b, w.start.year),
    "items": lambda s, b, w, st: m.items_on_time(s, b, w),
    "plan": lambda s, b, w, st: m.plan_progress(s, b, w.start.year, st.meetings, w.tz, now=w.now),
}


def _value(session: Session, name: str, branch_id: int, w: m.Window, settings: Settings) -> float | None:
    return MEASURES.get(name, MEASURES["plan"])(session, branch_id, w, settings)


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
