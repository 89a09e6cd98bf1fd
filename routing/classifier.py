"""classify(): normalized text -> weighted keyword matches -> tie rules -> Decision.

Keywords are found on the normalized raw text (first-character index, longest
match wins, so `B超机坏了` finds `b超机` and `坏了` whatever jieba thinks), and
single-character keywords flagged `token` are found on jieba tokens only (so
`修` counts in `来修一下` but not in `进修`). Every decision carries the
keywords and weights that produced it; unclear cases go to "triage".
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from .focus import ask_tie_losers, asking_clauses, foreground
from .matching import Match, effective, raw_matches, token_matches
from .normalize import normalize
from .rules import TRIAGE, Entry, Rules

MAX_CHARS = 2000   # longer texts are classified on their first MAX_CHARS normalized chars


@dataclass(frozen=True)
class Decision:
    branch: str
    confidence: float
    keywords: tuple[tuple[str, float], ...]
    runner_up: str | None

    def to_dict(self) -> dict:
        return {"branch": self.branch, "confidence": self.confidence,
                "keywords": [{"word": w, "weight": k} for w, k in self.keywords],
                "runner_up": self.runner_up}


def _negated(text: str, rules: Rules) -> set[int]:
    """The start positions a negation cue negates: up to `negation_window` chars after it, in its clause."""
    negated: set[int] = set()
    if rules.negation is None:
        return negated
    win, n = rules.negation_window, len(text)
    for cue in rules.negation.finditer(text):
        c = cue.end()
        stop = text.find(" ", c)
        negated.update(range(c, min(c + win, n if stop < 0 else stop) + 1))
    return negated


def _reported(text: str, rules: Rules) -> set[int]:
    """The end positions of keywords an evidence cue reports: a cue starts at most `evidence_window`
    chars after the end, with no space between."""
    if rules.evidence is None or not rules.evidence_branches:
        return set()
    win, ends = rules.evidence_window, set()
    for c in _starts(rules.evidence, text):
        ends.update(range(max(c - win, text.rfind(" ", 0, c) + 1), c + 1))
    return ends


def _starts(pattern, text: str) -> set[int]:
    """Every position of `text` where `pattern` matches (also those inside a match finditer found)."""
    return {pos for found in pattern.finditer(text) for pos in range(*found.span()) if pattern.match(text, pos)}


@lru_cache(maxsize=4096)
def _moved(entry: Entry, branch: str) -> Entry:
    return replace(entry, branch=branch)


def _sort_out(text: str, matches: list[Match], rules: Rules
              ) -> tuple[list[Match], dict[str, list[Match]], dict[str, set[str]]]:
    """One pass over the matches: negation and evidence drop some (a match starting within
    `negation_window` chars after a negation cue, in the same clause, does not count; nor does a keyword
    of `evidence.branches` that ends right before an evidence cue: "B超提示胆囊结石", "拍片说是骨折"
    report a finding, the request is about the finding; other words still count: "B超显示图像不清楚"
    stays medtech). Returns the matches kept, those of each keyword class and the branches they name;
    on the way each kept match's `clause` is set (the start of its clause, see focus.asking_clauses)."""
    negated, reported = _negated(text, rules), _reported(text, rules)
    evidence = rules.evidence_branches
    kept: list[Match] = []
    by_cls: dict[str, list[Match]] = {}
    branches: dict[str, set[str]] = {}
    rfind = text.rfind
    for m in matches:
        entry = m.entry
        if m.start in negated or (m.end in reported and entry.branch in evidence):
            continue
        kept.append(m)
        m.clause = rfind(" ", 0, m.start) + 1
        cls = entry.cls
        if cls:
            if cls in by_cls:
                by_cls[cls].append(m)
                branches[cls].add(entry.branch)
            else:
                by_cls[cls] = [m]
                branches[cls] = {entry.branch}
    return kept, by_cls, branches


def _apply_tie_rules(by_cls: dict[str, list[Match]], classes: dict[str, set[str]], rules: Rules,
                     dropped: set[int]) -> None:
    """The tie rules in order, on the matches of each keyword class (`by_cls`) and the branches they
    name (`classes`), both changed in place; the id of every match a rule drops goes to `dropped`."""
    for rule in rules.tie_rules:
        holders = classes.get(rule.when_class)
        if not holders or (rule.unless_class and rule.unless_class in classes):
            continue
        target = rule.drop_class or rule.move_class
        if target not in classes:
            continue
        if rule.drop_class:
            kept = []
            for m in by_cls[target]:
                if m.entry.branch in holders:
                    kept.append(m)
                else:
                    dropped.add(id(m))
            by_cls[target] = kept
            left = {m.entry.branch for m in kept}
        else:
            for m in by_cls[target]:
                m.entry = _moved(m.entry, rule.to)
            left = {rule.to}
        if left:
            classes[target] = left
        else:
            classes.pop(target, None)


def _training_bonus(text: str, matches: list[Match], rules: Rules) -> None:
    """Training goes to its subject: the keyword naming it (护理培训), else the
    nearest non-department keyword right before or after the marker."""
    if rules.training is None or not rules.training_bonus:
        return
    win = rules.training_window
    for marker in rules.training.finditer(text):
        p, q = marker.span()
        lo, hi = p - win, q + win   # a match ending before lo or starting after hi is never chosen
        best, best_gap = None, win + 1
        for m in matches:
            if m.end < lo or m.start > hi or m.entry.branch == TRIAGE:
                continue
            if m.start < p and m.end >= q:
                best, best_gap = m, -1
                break
            if m.entry.cls and m.entry.cls == rules.training_skip_class:   # the trainer, not the subject
                continue
            gap = p - m.end if m.end <= p else m.start - q if m.start >= q else win + 1
            if gap < best_gap and " " not in (text[m.end:p] if m.end <= p else text[q:m.start]):
                best, best_gap = m, gap
        if best is not None:
            best.bonus = rules.training_bonus


def find_matches(text: str, rules: Rules) -> tuple[list[Match], set[int] | None]:
    """All effective keyword matches of normalized `text`, after negation and tie rules, and the
    clauses whose keywords count in full when the others are background (focus.foreground)."""
    raw = raw_matches(text, rules)
    matches, by_cls, classes = _sort_out(text, effective(raw, token_matches(text, rules, raw)), rules)
    if not matches:
        return matches, None
    asking = asking_clauses(text, rules.ask_cues)
    dropped: set[int] = set()
    for cls in ask_tie_losers(by_cls, asking, rules.ask_ties):
        dropped.update(map(id, by_cls.pop(cls)))
        del classes[cls]
    _apply_tie_rules(by_cls, classes, rules, dropped)
    if dropped:
        matches = [m for m in matches if id(m) not in dropped]
    _training_bonus(text, matches, rules)
    return matches, foreground(text, matches, asking, rules.background_length, rules.background_factor, TRIAGE)


def _score(matches: list[Match], ask: set[int] | None, factor: float) -> dict[str, dict[str, float]]:
    """Per branch, each distinct word counted once at its best weight; a keyword outside the clauses
    `ask` (when given) counts `factor` of its weight."""
    scores: dict[str, dict[str, float]] = {}
    for m in matches:
        e = m.entry
        words = scores.get(e.branch)
        if words is None:
            words = scores[e.branch] = {}
        weight = e.weight + m.bonus
        if ask is not None and m.clause not in ask:
            weight *= factor
        if weight > words.get(e.word, 0.0):
            words[e.word] = weight
    return scores


def _explain(words: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(((w, round(k, 2)) for w, k in words.items()), key=lambda p: (-p[1], p[0])))


def classify(text: str, rules: Rules) -> Decision:
    """Route one message to a branch code, or "triage" when unclear."""
    norm = normalize((text or "")[:MAX_CHARS * 2])[:MAX_CHARS]
    scores = _score(*find_matches(norm, rules), rules.background_factor) if norm else {}
    totals = sorted(((sum(w.values()), b) for b, w in scores.items()), reverse=True)
    if not totals:
        return Decision(TRIAGE, 1.0, (), None)
    top, best = totals[0]
    second, runner = totals[1] if len(totals) > 1 else (0.0, None)
    strength = min(1.0, top / rules.saturation)
    confidence = round((top - second) / top * (0.5 + 0.5 * strength), 3) if top > 0 else 0.0
    reason = _abstain(norm, best, top, second, rules)
    if reason:
        real = [b for _, b in totals if b != TRIAGE]
        merged = {w: k for _, b in totals[:2] for w, k in scores[b].items()}
        return Decision(TRIAGE, round(1.0 - confidence if best != TRIAGE else confidence, 3),
                        _explain(merged), real[0] if real else None)
    return Decision(best, confidence, _explain(scores[best]), runner if runner != TRIAGE else None)


def _abstain(norm: str, best: str, top: float, second: float, rules: Rules) -> bool:
    if best == TRIAGE or top < rules.min_score:
        return True
    if top - second < rules.min_margin or second > rules.max_ratio * top:
        return True
    if rules.split_cues and second >= rules.split_ratio * top and rules.split_cues.search(norm):
        return True
    if rules.no_ask and rules.no_ask.search(norm):
        return True
    if rules.courtesy and rules.courtesy.search(norm) and not (rules.request_cues and rules.request_cues.search(norm)):
        return True
    return False
