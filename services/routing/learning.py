"""The office teaches the router: keyword decisions (accept, reject, undo), suggestions with evidence,
and the replayed effect of accepting a word on the consortium's past requests.

Corrections are the RoutingCorrection rows services.tasks.lifecycle writes on every `分派` of a
triage request and every `转办` (and console reassignment). Functions take the session first,
flush and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import routing
from models.routing import KeywordDecision
from models.task import RoutingCorrection, Task
from routing.overlay import MAX_CHARS, MIN_CHARS, overlay_word, with_overlay
from services.org import structure as org

DEFAULT_WEIGHT = 3.0  # "names the branch's work on its own" (routing/rules.yaml)


MESSAGES = {"bad_word": "“{word}”不能作为关键词：{min} 至 {max} 个字，不含空格。",
            "already_decided": "“{word}”已有决定（采纳或忽略），如需更改请先撤销。",
            "unknown_branch": "没有找到支部“{name}”。", "bad_weight": "权重须在 0.5..10 之间，得到 {weight}。",
            "nothing_to_undo": "“{word}”没有可撤销的决定。"}


class LearningError(Exception):
    """A refused decision; `code` picks the message, `info` fills it."""

    def __init__(self, code: str, **info: Any):
        self.code, self.info = code, info
        super().__init__(code)

    @property
    def message(self) -> str:
        """The refusal in Chinese, for the console and the CLI."""
        return MESSAGES[self.code].format(**self.info)


@dataclass(frozen=True)
class Suggestion:
    word: str
    branch: str
    count: int
    evidence: tuple[tuple[str, str], ...]  # (task number, text) of the corrections naming the word


@dataclass
class Effect:
    """What accepting `word` for `branch` does to the consortium's past requests (replayed)."""
    word: str
    branch: str
    newly_routed: list[tuple[str, str]] = field(default_factory=list)       # (number, branch) from triage
    changed: list[tuple[str, str, str]] = field(default_factory=list)       # (number, before, after)

    def to_dict(self) -> dict:
        return {"word": self.word, "branch": self.branch,
                "newly_routed": [{"task": n, "branch": b} for n, b in self.newly_routed],
                "changed": [{"task": n, "before": a, "after": b} for n, a, b in self.changed]}


# --- decisions -----------------------------------------------------------------------------------

def live_decision(session: Session, consortium_id: int, word: str) -> KeywordDecision | None:
    return session.scalar(select(KeywordDecision).where(
        KeywordDecision.consortium_id == consortium_id, KeywordDecision.word == word,
        KeywordDecision.undone_at.is_(None)))


def _checked_word(session: Session, consortium_id: int, word: str) -> str:
    try:
        norm = overlay_word(word)
    except routing.RulesError:
        raise LearningError("bad_word", word=word, min=MIN_CHARS, max=MAX_CHARS) from None
    existing = live_decision(session, consortium_id, norm)
    if existing is not None:
        raise LearningError("already_decided", word=norm)
    return norm


def accept(session: Session, consortium_id: int, word: str, branch: str, *, who: str, now: datetime,
           weight: float = DEFAULT_WEIGHT) -> KeywordDecision:
    """`word` routes to `branch` (a code, name or short form) in this consortium from now on."""
    found = org.find_branch(session, consortium_id, branch or "")
    if found is None:
        raise LearningError("unknown_branch", name=branch)
    if not 0.5 <= weight <= 10:
        raise LearningError("bad_weight", weight=weight)
    return _decide(session, consortium_id, _checked_word(session, consortium_id, word), "accepted",
                   found.code, weight, who=who, now=now)


def reject(session: Session, consortium_id: int, word: str, *, who: str, now: datetime) -> KeywordDecision:
    """`word` is not proposed again in this consortium (routing does not change)."""
    return _decide(session, consortium_id, _checked_word(session, consortium_id, word), "rejected",
                   None, DEFAULT_WEIGHT, who=who, now=now)


def _decide(session, consortium_id, word, decision, branch, weight, *, who, now) -> KeywordDecision:
    row = KeywordDecision(consortium_id=consortium_id, word=word, branch=branch, decision=decision,
                          weight=weight, who=who[:64], created_at=now)
    try:
        with session.begin_nested():  # someone decided the same word a moment ago: the unique index says so
            session.add(row)
            session.flush()
    except IntegrityError:
        raise LearningError("already_decided", word=word) from None
    return row


def undo(session: Session, consortium_id: int, word: str, *, who: str, now: datetime) -> KeywordDecision:
    """Withdraw the live decision on `word`: routing and suggestions are as before it."""
    row = live_decision(session, consortium_id, routing.normalize(word or "").strip())
    if row is None:
        raise LearningError("nothing_to_undo", word=word)
    row.undone_at, row.undone_by = now, who[:64]
    session.flush()
    return row


def history(session: Session, consortium_id: int) -> list[KeywordDecision]:
    """Every decision of the consortium, newest first (undone ones too)."""
    return list(session.scalars(select(KeywordDecision).where(KeywordDecision.consortium_id == consortium_id)
                                .order_by(KeywordDecision.id.desc())))


def decision_dict(row: KeywordDecision) -> dict:
    return {"id": row.id, "word": row.word, "decision": row.decision, "branch": row.branch,
            "weight": row.weight, "who": row.who, "at": row.created_at.isoformat(),
            "undone_at": row.undone_at.isoformat() if row.undone_at else None, "undone_by": row.undone_by}


# --- the overlay ---------------------------------------------------------------------------------

def overlay_version(session: Session) -> tuple:
    """Changes whenever a decision is made or undone (rows are never deleted)."""
    return tuple(session.execute(select(func.max(KeywordDecision.id), func.count(KeywordDecision.undone_at))).one())


def accepted_words(session: Session) -> dict[int, list[tuple[str, str, float]]]:
    """Per consortium id, its live accepted (word, branch, weight)."""
    out: dict[int, list[tuple[str, str, float]]] = {}
    for row in session.scalars(select(KeywordDecision).where(
            KeywordDecision.decision == "accepted", KeywordDecision.undone_at.is_(None))
            .order_by(KeywordDecision.id)):
        out.setdefault(row.consortium_id, []).append((row.word, row.branch, row.weight))
    return out


def effective_rules(session: Session, base: routing.Rules, consortium_id: int) -> routing.Rules:
    """The rules file plus this consortium's accepted words (for the CLI; web processes use LiveRules)."""
    return with_overlay(base, accepted_words(session).get(consortium_id, []))


# --- suggestions and their replayed effect -------------------------------------------------------

def corrections(session: Session, consortium_id: int) -> list[tuple[str, str, str]]:
    """(task number, text, corrected-to branch) of every correction in the consortium, oldest first."""
    return [tuple(row) for row in session.execute(
        select(Task.number, RoutingCorrection.text, RoutingCorrection.to_branch)
        .join(Task, Task.id == RoutingCorrection.task_id)
        .where(Task.consortium_id == consortium_id).order_by(RoutingCorrection.id))]


def suggestions(session: Session, rules: routing.Rules, consortium_id: int, *,
                min_count: int = 2) -> list[Suggestion]:
    """Words recurring in corrections to one branch, not yet keywords of it (`rules` should be the
    consortium's effective rules) and not decided (accepted or rejected) in this consortium."""
    rows = corrections(session, consortium_id)
    decided = set(session.scalars(select(KeywordDecision.word).where(
        KeywordDecision.consortium_id == consortium_id, KeywordDecision.undone_at.is_(None))))
    normalized = [(number, text, branch, routing.normalize(text or "")) for number, text, branch in rows]
    proposed = routing.suggest_keywords([(text, branch) for _, text, branch in rows], rules, min_count=min_count)
    out = []
    for branch, items in proposed.items():
        for item in items:
            word = item["word"]
            if branch == routing.TRIAGE or word in decided or not _acceptable(word):
                continue
            evidence = tuple((n, t) for n, t, b, norm in normalized if b == branch and word in norm)
            out.append(Suggestion(word, branch, item["count"], evidence))
    return sorted(out, key=lambda s: (-s.count, s.word, s.branch))


def _acceptable(word: str) -> bool:
    try:
        return overlay_word(word) == word
    except routing.RulesError:
        return False


def replay(session: Session, rules: routing.Rules, consortium_id: int, word: str, branch: str,
           weight: float = DEFAULT_WEIGHT, *, past: list[tuple[str, str, str]] | None = None) -> Effect:
    """Classify the consortium's past requests naming `word` with `rules` and with `word` added.

    `past` (see past_requests) saves reloading the requests for several words."""
    trial = with_overlay(rules, [(word, branch, weight)])
    effect = Effect(word, branch)
    norm_word = overlay_word(word)
    for number, text, norm in past if past is not None else past_requests(session, consortium_id):
        if norm_word not in norm:
            continue
        before, after = routing.classify(text, rules).branch, routing.classify(text, trial).branch
        if before == after:
            continue
        if before == routing.TRIAGE:
            effect.newly_routed.append((number, after))
        else:
            effect.changed.append((number, before, after))
    return effect


def past_requests(session: Session, consortium_id: int) -> list[tuple[str, str, str]]:
    """(number, text, normalized text) of every request of the consortium, oldest first."""
    return [(number, text, routing.normalize(text or "")) for number, text in session.execute(
        select(Task.number, Task.text).where(Task.consortium_id == consortium_id).order_by(Task.id))]
