"""Keyword matches of a normalized text: raw heads (one automaton pass), token-only keywords
(jieba, only where a token can count) and the longest-match-wins rule.

Each step is a fast form of a plain one, with the same result (tests/test_routing.py checks each
against its plain reference): matches are found in one pass over the text, containment is one
sweep by start, and jieba segments a run only when a gate char could be a token that counts.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from operator import attrgetter

from .normalize import cut_alone, cut_run, segment_runs
from .rules import Entry, Rules, ascii_edge, head_hits


@dataclass(slots=True)
class Match:
    start: int
    end: int
    segs: tuple[tuple[int, int], ...]
    entry: Entry
    bonus: float = 0.0
    clause: int = 0      # the start of the clause (space-separated) holding `start`


_start = attrgetter("start")
_tail = attrgetter("entry.tail")


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


def raw_matches(text: str, rules: Rules) -> list[Match]:
    """Matches of the raw heads, by start, longest first. A plain keyword whose head lies inside a
    longer head that matched is left out at once: drop_contained would drop it (phrases stay, their
    span counts for the token gate)."""
    found = []
    gap, n = rules.phrase_gap, len(text)
    reach, at, top = -1, -1, -1      # furthest end of matched heads starting before `at`; longest at `at`
    for i, size, (_, first, last, entries, plain) in head_hits(text, rules):
        end = i - size
        if i != at:
            if top > reach:
                reach = top
            at, top = i, -1
        if (first and i and ascii_edge(text[i - 1])) or (last and end < n and ascii_edge(text[end])):
            continue
        inside = reach >= end or top > end
        if plain:                    # the common case: plain keywords only
            if not inside:
                seg = ((i, end),)
                for entry in entries:
                    found.append(Match(i, end, seg, entry))
                if end > top:
                    top = end
            continue
        matched = False
        for entry in entries:
            if not entry.tail:
                if not inside:
                    found.append(Match(i, end, ((i, end),), entry))
                    matched = True
                continue
            segs = _find_tail(text, end, entry.tail, gap)
            if segs:
                found.append(Match(i, segs[-1][1], ((i, end), *segs), entry))
                matched = True
        if matched and end > top:
            top = end
    return found


def _open_gates(gates: list[int], raw: list[Match], longest: int, span: int) -> list[int]:
    """The gate chars (ascending) a token could count at; none if every one lies inside a raw match
    (`raw` sorted by start, none longer than `span`). A gate inside a raw segment longer than
    `longest` that holds it and the `longest` - 1 chars after it is closed: drop_contained would
    drop the token there. The matches that may hold gate p start in p - span..p: found by bisection."""
    starts = list(map(_start, raw))
    inside, open_ = True, []
    for p in gates:
        k, lo, covered = bisect_right(starts, p) - 1, p - span, False
        while k >= 0 and starts[k] >= lo:
            m = raw[k]
            if m.end > p:
                covered = True
                if _holds(m.segs, p, longest):
                    break
            k -= 1
        else:
            open_.append(p)
        inside = inside and covered
    return [] if inside else open_


def _holds(segs: tuple[tuple[int, int], ...], p: int, longest: int) -> bool:
    """One of `segs` is longer than `longest` and holds p..p + longest - 1."""
    for s, e in segs:
        if s <= p < e - longest + 1 and e - s > longest:
            return True
    return False


def _run_of(text: str, p: int) -> tuple[int, int] | None:
    """The run of segment_runs(text) that holds position p, if any (found from p's clause only)."""
    for run in segment_runs(text, text.rfind(" ", 0, p) + 1, p + 1):
        if run.end() == p + 1:
            return run.start(), next(segment_runs(text, run.start())).end()
    return None


def token_matches(text: str, rules: Rules, raw: list[Match]) -> list[Match]:
    """Token-only keywords, found on jieba's tokens of the runs (segment_runs) holding a gate char.

    None if every gate char lies inside a raw match. Otherwise only the gate chars a token could
    count at are looked at: one inside a longer raw segment would be dropped by drop_contained.
    A run is segmented only if such a char is not cut alone anyway (cut_alone); the effective
    matches are exactly those of segmenting every run that holds a gate char."""
    if rules.token_gate_re is None:
        return []
    gates = [g.start() for g in rules.token_gate_re.finditer(text)]
    if not gates:
        return []
    longest = rules.token_longest
    gates = _open_gates(gates, raw, longest, rules.raw_span)
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
            tokens = _positions(lo, cut_run(chunk, rules.token_chars))
        for pos, tok in tokens:
            for e in rules.token_entries.get(tok, ()):
                found.append(Match(pos, pos + len(tok), ((pos, pos + len(tok)),), e))
    return found


def _positions(pos: int, tokens: list[str]):
    for tok in tokens:
        yield pos, tok
        pos += len(tok)


def drop_contained(matches: list[Match]) -> list[Match]:
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


def effective(raw: list[Match], tokens: list[Match]) -> list[Match]:
    """drop_contained(raw + tokens), where raw are raw_matches(): the same list when there is no token
    match and no phrase, as raw_matches left out every plain keyword inside a longer head already."""
    if tokens or any(map(_tail, raw)):
        return drop_contained(raw + tokens)
    return raw
