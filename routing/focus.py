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
from functools import lru_cache
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
    cues = words(spec["ask_cues"], "focus.ask_cues") if "ask_cues" in spec else ()
    for i, cue in enumerate(cues):
        if " " in cue:   # clauses are what spaces separate: such a cue could never be inside one
            fail(f"focus.ask_cues[{i}]", f"an ask cue is one run of text, got {cue!r}")
    return {
        "ask_ties": tuple(ties),
        "background_length": int(number(spec.get("background_length", 0), "focus.background_length",
                                        "background_length", 0, 100000)),
        "background_factor": number(spec.get("background_factor", 1.0), "focus.background_factor",
                                    "background_factor", 0, 1),
        "ask_cues": cue_pattern(cues),
        "no_ask": cue_pattern(words(spec["no_ask"], "focus.no_ask")) if "no_ask" in spec else None,
    }


def asking_clauses(text: str, ask_cues: re.Pattern | None) -> list[int]:
    """The clauses of normalized `text` that hold an ask cue, ascending, each named by its start (the
    position after the space before it; a match's `clause` names its clause the same way).
    One scan of the whole text: a cue holds no space, so each one found lies inside one clause
    and the first cue of every clause is found (a clause's own search would find it too); the
    scan goes on from the end of that clause."""
    if ask_cues is None:
        return []
    rfind = text.rfind
    return sorted({rfind(" ", 0, c.start()) + 1 for c in _first_per_clause(ask_cues).finditer(text)})


@lru_cache(maxsize=64)
def _first_per_clause(cues: re.Pattern) -> re.Pattern:
    """`cues`, then the rest of the clause: one match per clause holding a cue, at its first cue."""
    return re.compile(f"(?:{cues.pattern})[^ ]*")


def ask_tie_losers(by_cls: dict[str, list], asking: list[int], ties) -> set[str]:
    """The incidental side of each tie pair, when the last asking clause that names one side only
    names it (`by_cls`: keyword class -> its matches, which carry `clause`; `asking`: see asking_clauses).
    That clause is the last asking one among the clauses naming exactly one side (a symmetric difference)."""
    if not asking or not ties:
        return set()
    where = {cls: {m.clause for m in by_cls[cls]} for pair in ties for cls in pair if cls in by_cls}
    ask = set(asking)
    losers = set()
    for first, second in ties:
        if first not in where or second not in where:
            continue
        one_side = (where[first] ^ where[second]) & ask
        if one_side:
            loser = second if max(one_side) in where[first] else first
            losers.add(loser)
            del where[loser]
    return losers


def foreground(text: str, matches: list, asking: list[int], length: int, factor: float,
               triage: str) -> set[int] | None:
    """The asking clauses of a long text when they name a branch: keywords outside them then count
    `factor` of their weight (the background of a long burst). None when every keyword counts in full."""
    if not asking or factor >= 1.0 or not length or len(text) < length:
        return None
    ask = set(asking)
    if not any(m.entry.branch != triage and m.clause in ask for m in matches):
        return None
    return ask
