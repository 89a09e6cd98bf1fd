"""The asking clause decides: tie rules and weights on long, mixed texts.

A message may tell a story before it asks ("车祸伤员已经止血包扎 后面肯定要手术
现在怎么转运最快"). The clauses holding an ask cue (`focus.ask_cues`:
请, 想, 怎么, 吗, ...) are the asking clauses; normalize() has already cut the
text into clauses at every punctuation mark.

- ask_ties: for a pair of keyword classes that a tie rule of routing-rules.md
  separates (first aid vs the operation, equipment use vs breakdown, adjusting
  treatment vs follow-up management), when both occur the class named in the
  last asking clause that names only one of them wins; the other is incidental
  and dropped. Neither or both: the ordinary tie rules decide.
- background: in a text of at least `background_length` chars whose asking
  clauses name a branch, keywords outside the asking clauses count
  `background_factor` of their weight (the background of a long burst).
- no_ask: phrases that say there is no request (没别的事): the message is triage.
"""
from __future__ import annotations

import re
from typing import Any

_KEYS = {"ask_cues", "ask_ties", "background_length", "background_factor", "no_ask"}


def load_focus(data: dict, classes: set[str], fail, words, cue_pattern, number) -> dict[str, Any]:
    """Validate the `focus` section of rules.yaml into Rules fields (helpers passed by rules.py)."""
    spec = data.get("focus", {})
    if not isinstance(spec, dict):
        fail("focus", "expected a mapping")
    for k in spec:
        if k not in _KEYS:
            fail(f"focus.{k}", "unknown key")
    ties = []
    for i, pair in enumerate(spec.get("ask_ties", [])):
        if not (isinstance(pair, list) and len(pair) == 2 and all(c in classes for c in pair)):
            fail(f"focus.ask_ties[{i}]", f"expected two known keyword classes, got {pair!r}")
        ties.append((pair[0], pair[1]))
    return {
        "ask_ties": tuple(ties),
        "background_length": int(number(spec.get("background_length", 0), "focus.background_length",
                                        "background_length", 0, 100000)),
        "background_factor": number(spec.get("background_factor", 1.0), "focus.background_factor",
                                    "background_factor", 0, 1),
        "ask_cues": cue_pattern(words(spec["ask_cues"], "focus.ask_cues")) if "ask_cues" in spec else None,
        "no_ask": cue_pattern(words(spec["no_ask"], "focus.no_ask")) if "no_ask" in spec else None,
    }


def ask_spans(text: str, ask_cues: re.Pattern | None) -> list[tuple[int, int]]:
    """(start, end) of every clause of normalized `text` that holds an ask cue."""
    if ask_cues is None:
        return []
    spans, pos = [], 0
    for clause in text.split(" "):
        end = pos + len(clause)
        if ask_cues.search(clause):
            spans.append((pos, end))
        pos = end + 1
    return spans


def _inside(m, spans) -> bool:
    return any(s <= m.start < e for s, e in spans)


def apply_ask_ties(matches: list, spans: list[tuple[int, int]], ties) -> list:
    """Drop the incidental side of each tie pair when the asking clause names only the other."""
    for first, second in ties:
        sides = {first, second}
        present = {m.entry.cls for m in matches if m.entry.cls in sides}
        if len(present) < 2:
            continue
        for s, e in reversed(spans):
            named = {m.entry.cls for m in matches if m.entry.cls in sides and s <= m.start < e}
            if len(named) == 1:
                loser = (sides - named).pop()
                matches = [m for m in matches if m.entry.cls != loser]
                break
    return matches


def discount_background(text: str, matches: list, spans, length: int, factor: float, triage: str) -> None:
    """Scale down keywords outside the asking clauses of a long text (in place)."""
    if not spans or factor >= 1.0 or not length or len(text) < length:
        return
    if not any(m.entry.branch != triage and _inside(m, spans) for m in matches):
        return
    for m in matches:
        if not _inside(m, spans):
            m.scale = factor
