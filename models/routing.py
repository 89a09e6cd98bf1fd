"""The office's keyword decisions: an overlay on routing/rules.yaml, per consortium, with who and when."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, str64

DECISIONS = ("accepted", "rejected")


class KeywordDecision(Base):
    """`word` routes to `branch` (accepted) or is never proposed again (rejected) in one consortium.

    Undoing sets `undone_at`; rows are never deleted, so the history stays. At most one live
    (not undone) decision per consortium and word, enforced by a partial unique index."""
    __tablename__ = "keyword_decisions"
    __table_args__ = (Index("uq_keyword_decisions_live", "consortium_id", "word", unique=True,
                            sqlite_where=text("undone_at IS NULL"), postgresql_where=text("undone_at IS NULL")),)
    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id"))
    word: Mapped[str64]
    branch: Mapped[str | None] = mapped_column(String(32))  # branch code; None for a rejection
    decision: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(default=3.0)
    who: Mapped[str64]
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def live(self) -> bool:
        return self.undone_at is None

    def __repr__(self) -> str:
        return f"<KeywordDecision {self.word} {self.decision} {self.branch or ''}{' undone' if self.undone_at else ''}>"
