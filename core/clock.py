"""The only place that reads the wall clock."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_at(text: str, tz) -> datetime:
    """Parse an ISO time given on the command line (`--at`); naive means local time."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=tz) if value.tzinfo is None else value
