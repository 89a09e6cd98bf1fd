"""Yearly numbers people read (T-2026-0001, D-2026-0001): one counter row per series, taken under a row lock."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models.task import Counter


def take_next(session: Session, name: str) -> int:
    """The next value of counter `name` (1 for a new one), in the caller's transaction."""
    counter = session.get(Counter, name, with_for_update=True)
    if counter is None:
        counter = Counter(name=name, value=0)
        session.add(counter)
        session.flush()
    counter.value += 1
    session.flush()
    return counter.value
