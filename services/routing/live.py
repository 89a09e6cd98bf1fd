"""LiveRules: the rules a process holds, plus each consortium's accepted words, kept current.

Every web process builds one at start-up. `current(consortium_id, now)` checks the overlay's
version in the database at most every `refresh_seconds` (by the process's clock) and rebuilds
the changed consortia's rules, so a word accepted in any process routes in all of them within
that interval, without a restart. A failed check keeps the rules it has (routing never waits on it).
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from types import MappingProxyType
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import routing
from routing.overlay import with_overlay
from services.routing import learning

log = logging.getLogger("tongxin.routing")


class LiveRules:
    def __init__(self, base: "routing.Rules", session_factory: Callable[[], Session], refresh_seconds: float):
        self.base = base
        self.refresh_seconds = refresh_seconds
        self._factory = session_factory
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._checked_at: datetime | None = None
        self._by_consortium = MappingProxyType({})  # replaced whole, never changed: readers need no lock

    def current(self, consortium_id: int | None, now: datetime) -> "routing.Rules":
        """The rules for a request of this consortium (the rules file alone when it accepted no word)."""
        checked = self._checked_at
        if checked is None or not 0 <= (now - checked).total_seconds() < self.refresh_seconds:
            self.refresh(now)
        return self._by_consortium.get(consortium_id, self.base)

    def invalidate(self) -> None:
        """Check on the next request (this process just made a decision)."""
        self._checked_at = None

    def refresh(self, now: datetime) -> bool:
        """Reload the overlay if its version changed; True when rules were rebuilt. Another thread
        already refreshing is not waited for."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked_at = now
            with self._factory() as session:
                version = learning.overlay_version(session)
                if version == self._version:
                    return False
                words = learning.accepted_words(session)
            self._by_consortium = MappingProxyType(
                {cid: with_overlay(self.base, items) for cid, items in words.items()})
            self._version = version
            log.info("routing overlay loaded", extra={"overlay_version": list(version),
                                                      "overlay_words": sum(map(len, words.values()))})
            return True
        except (SQLAlchemyError, routing.RulesError) as exc:
            log.warning("routing overlay not refreshed: %s", exc.__class__.__name__)
            return False
        finally:
            self._lock.release()
