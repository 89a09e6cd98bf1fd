"""classify(): normalized text -> weighted keyword matches -> tie rules -> Decision.

Keywords are found on the normalized raw text (first-character index, longest
match wins, so `B超机坏了` finds `b超机` and `坏了` whatever jieba thinks), and
single-character keywords flagged `token` are found on jieba tokens only (so
`修` counts in `来修一下` but not in `进修`). Every decision carries the
keywords and weights that produced it; unclear cases go to "triage".
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

from .focus import apply_ask_ties, asking_clauses, discount_background
from .normalize import cut_alone, cut_tokens, normalize, segment_runs
from .rules import TRIAGE, Entry, Rules, ascii_edge, head_hits

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


@dataclass(slots=True)
class _Match:
    start: int
    end: int
    segs: tuple[tuple[int, int], ...]
    entry: Entry
    bonus: float = 0.0
    scale: float = 1.0
    clause: int = 0      # index of the clause (space-separated) holding `start`


def _find_tail(text: str, pos: int, tail: tuple[str, ...], gap: int) -> list[tuple[int, int]] | None:
    segs = []
    for part in tail:
        window = text[pos:pos + gap + len(part)]
        cut = window.find(" ")
        if cut >= 0:
            window = window[:cut]
        at = window.find(part)
        if at < 0:
            return None
        segs.append((pos + at, pos + at + len(part)))
        pos = pos + at + len(part)
    return segs


def _raw_matches(text: str, rules: Rules) -> list[_Match]:
    """Matches of the raw heads, by start, longest first. A plain keyword whose head lies inside a
    longer head that matched is left out at once: _drop_contained would drop it (phrases stay, their
    span counts for the token gate)."""
    found = []
    gap, n = rules.phrase_gap, len(text)
    reach, at, top = -1, -1, -1      # furthest end of matched heads starting before `at`; longest at `at`
    for i, size, (_, first, last, entries) in head_hits(text, rules):
        end = i - size
        if i != at:
            if top > reach:
                reach = top
            at, top = i, -1
        if (first and i and ascii_edge(text[i - 1])) or (last and end < n and ascii_edge(text[end])):
            continue
        inside, matched = reach >= end or top > end, False
        for entry in entries:
            if not entry.tail:
                if not inside:
                    found.append(_Match(i, end, ((i, end),), entry))
                    matched = True
                continue
            segs = _find_tail(text, end, entry.tail, gap)
            if segs:
                found.append(_Match(i, segs[-1][1], ((i, end), *segs), entry))
                matched = True
        if matched and end > top:
            top = end
    return found


def _all_inside(points: list[int], raw: list[_Match]) -> bool:
    """Every point (ascending) lies inside a match of `raw` (sorted by start): one sweep, stopping early."""
    i, n, reach = 0, len(raw), -1
    for p in points:
        while i < n and raw[i].start <= p:
            if raw[i].end > reach:
                reach = raw[i].end
            i += 1
        if reach <= p:
            return False
    return True


def _outside(points: list[int], spans: list[tuple[int, int]]) -> list[int]:
    """The points (ascending) that lie in none of the half-open spans (sorted by start): one sweep."""
    out, i, n, reach = [], 0, len(spans), -1
    for p in points:
        while i < n and spans[i][0] <= p:
            if spans[i][1] > reach:
                reach = spans[i][1]
            i += 1
        if reach <= p:
            out.append(p)
    return out


def _run_of(text: str, p: int) -> tuple[int, int] | None:
    """The run of segment_runs(text) that holds position p, if any (found from p's clause only)."""
    for run in segment_runs(text, text.rfind(" ", 0, p) + 1, p + 1):
        if run.end() == p + 1:
            return run.start(), next(segment_runs(text, run.start())).end()
    return None


def _token_matches(text: str, rules: Rules, raw: list[_Match]) -> list[_Match]:
    """Token-only keywords, found on jieba's tokens of the runs (segment_runs) holding a gate char.

    None if every gate char lies inside a raw match. Otherwise only the gate chars a token could
    count at are looked at: one inside a longer raw segment would be dropped by _drop_contained.
    A run is segmented only if such a char is not cut alone anyway (cut_alone); the effective
    matches are exactly those of segmenting every run that holds a gate char."""
    if rules.token_gate_re is None:
        return []
    gates = [g.start() for g in rules.token_gate_re.finditer(text)]
    if not gates:
        return []
    if _all_inside(gates, raw):
        return []
    longest = rules.token_longest        # a segment longer than that holding p..p+longest drops the token
    long_segs = [(s, e - longest + 1) for m in raw for s, e in m.segs if e - s > longest]
    long_segs.sort()
    gates = _outside(gates, long_segs)
    found, done = [], -1
    for p in gates:
        if p < done or (run := _run_of(text, p)) is None:
            continue
        lo, done = run
        group = [q for q in gates if lo <= q < done]
        chunk = text[lo:done]
        if longest == 1 and all(cut_alone(chunk, q - lo, rules.token_chars) for q in group):
            tokens = [(q, text[q]) for q in group]
        else:
            tokens = _positions(lo, cut_tokens(chunk, rules.token_chars))
        for pos, tok in tokens:
            for e in rules.token_entries.get(tok, ()):
                found.append(_Match(pos, pos + len(tok), ((pos, pos + len(tok)),), e))
    return found


def _positions(pos: int, tokens: list[str]):
    for tok in tokens:
        yield pos, tok
        pos += len(tok)


def _drop_contained(matches: list[_Match]) -> list[_Match]:
    """Longest match wins: drop a match whose literal part lies inside a longer one (another
    match's segment that holds it and is not the same span). One sweep by start, longest first."""
    if len(matches) < 2:
        return matches
    segs = [(s, -e, k) for k, m in enumerate(matches) for s, e in m.segs]
    segs.sort()
    dropped = set()
    reach, start, top = -1, None, -1        # reach: furthest end among segments starting earlier
    for s, neg_end, k in segs:
        e = -neg_end
        if s != start:                      # top: the longest segment starting at s
            if top > reach:
                reach = top
            start, top = s, e
        if reach >= e or top > e:
            dropped.add(k)
    if not dropped:
        return matches
    return [m for k, m in enumerate(matches) if k not in dropped]


def _drop_negated(text: str, matches: list[_Match], rules: Rules) -> list[_Match]:
    """A match starting within `negation_window` chars after a cue, in the same clause, does not count."""
    if rules.negation is None:
        return matches
    win, negated = rules.negation_window, set()
    for cue in rules.negation.finditer(text):
        c = cue.end()
        stop = text.find(" ", c)
        negated.update(range(c, min(c + win, len(text) if stop < 0 else stop) + 1))
    if not negated:
        return matches
    return [m for m in matches if m.start not in negated]


def _drop_evidence(text: str, matches: list[_Match], rules: Rules) -> list[_Match]:
    """"B超提示胆囊结石", "拍片说是骨折": the test reports a finding; the request is
    about the finding, so such keywords of `evidence.branches` do not count (other
    words of the message still do: "B超显示图像不清楚" stays medtech)."""
    if rules.evidence is None or not rules.evidence_branches:
        return matches
    cues = _starts(rules.evidence, text)
    if not cues:
        return matches
    win, n, branches = rules.evidence_window, len(text), rules.evidence_branches

    def reported(m: _Match) -> bool:
        for pos in range(m.end, min(n, m.end + win + 1)):
            if pos in cues:
                return True
            if text[pos] == " ":
                return False
        return False

    return [m for m in matches if m.entry.branch not in branches or not reported(m)]


def _starts(pattern, text: str) -> set[int]:
    """Every position of `text` where `pattern` matches (also those inside a match finditer found)."""
    return {pos for found in pattern.finditer(text) for pos in range(*found.span()) if pattern.match(text, pos)}


@lru_cache(maxsize=4096)
def _moved(entry: Entry, branch: str) -> Entry:
    return replace(entry, branch=branch)


def _apply_tie_rules(matches: list[_Match], rules: Rules) -> list[_Match]:
    """The tie rules in order, on the matches of each keyword class (one pass to group them)."""
    by_cls: dict[str, list[_Match]] = {}
    for m in matches:
        if m.entry.cls:
            by_cls.setdefault(m.entry.cls, []).append(m)
    if not by_cls:
        return matches
    classes = {cls: {m.entry.branch for m in group} for cls, group in by_cls.items()}
    dropped: set[int] = set()
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
    return [m for m in matches if id(m) not in dropped] if dropped else matches


def _training_bonus(text: str, matches: list[_Match], rules: Rules) -> None:
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


def find_matches(text: str, rules: Rules) -> list[_Match]:
    """All effective keyword matches of normalized `text`, after negation and tie rules."""
    raw = _raw_matches(text, rules)
    matches = _drop_contained(raw + _token_matches(text, rules, raw))
    matches = _drop_evidence(text, _drop_negated(text, matches, rules), rules)
    if not matches:
        return matches
    asking = asking_clauses(text, rules.ask_cues, matches)
    matches = _apply_tie_rules(apply_ask_ties(matches, asking, rules.ask_ties), rules)
    _training_bonus(text, matches, rules)
    discount_background(text, matches, asking, rules.background_length, rules.background_factor, TRIAGE)
    return matches


def _score(matches: list[_Match]) -> dict[str, dict[str, float]]:
    """Per branch, each distinct word counted once at its best weight."""
    scores: dict[str, dict[str, float]] = {}
    for m in matches:
        e = m.entry
        words = scores.setdefault(e.branch, {})
        weight = (e.weight + m.bonus) * m.scale
        if weight > words.get(e.word, 0.0):
            words[e.word] = weight
    return scores


def _explain(words: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(((w, round(k, 2)) for w, k in words.items()), key=lambda p: (-p[1], p[0])))


def classify(text: str, rules: Rules) -> Decision:
    """Route one message to a branch code, or "triage" when unclear."""
    norm = normalize((text or "")[:MAX_CHARS * 2])[:MAX_CHARS]
    scores = _score(find_matches(norm, rules)) if norm else {}
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
