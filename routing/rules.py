"""Loading and validation of routing/rules.yaml into an immutable, precompiled Rules.

Every mistake raises RulesError naming the key, e.g.
`routing rules: branches.eye_ent.keywords[3]: weight must be a number, got "x"`.
Keywords are normalized exactly like messages, so the YAML may be written in
traditional or full-width characters too. A word containing "..." is a phrase:
its parts must occur in order within one clause, at most `phrase_gap` chars apart.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from .focus import load_focus
from .normalize import normalize

BRANCHES = ("admin", "internal", "surgery", "maternal", "nursing", "medtech",
            "eye_ent", "emergency", "public_health", "logistics")
TRIAGE = "triage"
_TOP_KEYS = {"version", "thresholds", "negation", "evidence", "training", "split", "courtesy",
             "tie_rules", "branches", "out_of_scope", "stopwords", "focus"}
_THRESHOLDS = ("min_score", "min_margin", "max_ratio", "saturation", "phrase_gap")

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~7x faster, same result


class RulesError(ValueError):
    """The rules file is unreadable or invalid; the message names the key."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"routing rules: {key}: {problem}" if key else f"routing rules: {problem}")


@dataclass(frozen=True)
class Entry:
    """One weighted keyword of one branch ("triage" for out-of-scope words)."""
    word: str                 # normalized display form ("调整...用药" for phrases)
    branch: str
    weight: float
    cls: str | None
    tail: tuple[str, ...]     # remaining phrase parts after the indexed head


@dataclass(frozen=True)
class TieRule:
    name: str
    when_class: str
    unless_class: str | None
    drop_class: str | None
    move_class: str | None
    to: str | None


@dataclass(frozen=True)
class Rules:
    """Precompiled routing rules. Build with load_rules(); never mutate."""
    branches: tuple[str, ...]
    names: Mapping[str, str]
    automaton: Any  # Aho-Corasick over every raw head (see head_hits): (length, ASCII first, ASCII last,
    #                 entries, no phrase among them)
    token_entries: Mapping[str, tuple[Entry, ...]]                  # matched on jieba tokens only
    token_gate: frozenset[str]
    token_gate_re: re.Pattern | None                                 # one gate character (first of a token word)
    token_longest: int                                               # longest token word, in chars
    token_chars: frozenset[str]                                      # every character of a token-only keyword
    branch_words: Mapping[str, frozenset[str]]
    min_score: float
    min_margin: float
    max_ratio: float
    saturation: float
    phrase_gap: int
    negation: re.Pattern | None
    negation_window: int
    training: re.Pattern | None
    training_window: int
    training_bonus: float
    training_skip_class: str | None
    split_cues: re.Pattern | None
    split_ratio: float
    courtesy: re.Pattern | None
    request_cues: re.Pattern | None
    tie_rules: tuple[TieRule, ...]
    stopwords: frozenset[str]
    # "B超提示胆结石": a keyword of these branches right before an evidence cue reports
    # a finding, not the request's topic; it does not count.
    evidence: re.Pattern | None = None
    evidence_window: int = 1
    evidence_branches: frozenset[str] = frozenset()
    # focus (routing/focus.py): the asking clause decides on long, mixed texts
    ask_cues: re.Pattern | None = None
    ask_ties: tuple[tuple[str, str], ...] = ()
    background_length: int = 0
    background_factor: float = 1.0
    no_ask: re.Pattern | None = None
    # every keyword as (head, entry, token-only): what routing.overlay rebuilds the automaton from
    heads: tuple[tuple[str, Entry, bool], ...] = ()
    raw_span: int = 0   # the longest span a match of a raw head can have (see raw_span())


def _fail(key: str, problem: str):
    raise RulesError(key, problem)


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _mapping(value: Any, key: str, allowed: set[str] | None = None) -> dict:
    if not isinstance(value, dict):
        _fail(key, f"expected a mapping, got {_show(value)}")
    if allowed is not None:
        for k in value:
            if k not in allowed:
                _fail(f"{key}.{k}" if key else str(k), "unknown key")
    return value


def _number(value: Any, key: str, what: str = "value", lo: float = 0.0, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(key, f"{what} must be a number, got {_show(value)}")
    if value < lo or (hi is not None and value > hi):
        _fail(key, f"{what} must be in {lo}..{hi if hi is not None else 'inf'}, got {value}")
    return float(value)


def _words(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        _fail(key, f"expected a non-empty list of words, got {_show(value)}")
    out = []
    for i, word in enumerate(value):
        if not isinstance(word, (str, int)) or isinstance(word, bool):
            _fail(f"{key}[{i}]", f"expected a word, got {_show(word)}")
        norm = normalize(str(word)) if "..." not in str(word) else str(word)
        if not norm.strip(". "):
            _fail(f"{key}[{i}]", f"word is empty after normalization: {_show(word)}")
        out.append(norm)
    return tuple(out)


def _split_phrase(word: str, key: str) -> tuple[str, ...]:
    parts = tuple(normalize(p) for p in word.split("..."))
    if any(not p or " " in p for p in parts):
        _fail(key, f"bad phrase {_show(word)}: every part must be a non-empty word")
    return parts


def _groups(spec: Any, key: str, branch: str, classes: set[str]) -> list[tuple[str, Entry, bool]]:
    if not isinstance(spec, list):
        _fail(key, f"expected a list of keyword groups, got {_show(spec)}")
    out = []
    for i, group in enumerate(spec):
        gkey = f"{key}[{i}]"
        _mapping(group, gkey, {"weight", "words", "class", "token"})
        if "weight" not in group:
            _fail(gkey, "missing weight")
        weight = _number(group["weight"], gkey, "weight", 0.0, 100.0)
        cls = group.get("class")
        if cls is not None and not (isinstance(cls, str) and re.fullmatch(r"[a-z_]+", cls)):
            _fail(f"{gkey}.class", f"expected a lower-case name, got {_show(cls)}")
        token = group.get("token", False)
        if not isinstance(token, bool):
            _fail(f"{gkey}.token", f"expected true or false, got {_show(token)}")
        if cls:
            classes.add(cls)
        for j, word in enumerate(_words(group.get("words"), f"{gkey}.words")):
            parts = _split_phrase(word, f"{gkey}.words[{j}]") if "..." in word else (word,)
            if token and len(parts) > 1:
                _fail(f"{gkey}.words[{j}]", "a token keyword cannot be a phrase")
            entry = Entry("...".join(parts), branch, weight, cls, parts[1:])
            out.append((parts[0], entry, token))
    return out


def _cue_pattern(words: tuple[str, ...], not_after: tuple[str, ...] = ()) -> re.Pattern | None:
    if not words:
        return None
    # the guard follows each word ("不是" not after "是": 不是(?<!是不是)), so that the pattern starts
    # with literals and the regex engine skips ahead to their first chars
    alt = "|".join(re.escape(w) + "".join(f"(?<!{re.escape(g + w)})" for g in not_after)
                   for w in sorted(set(words), key=len, reverse=True))
    return re.compile(f"(?:{alt})")


def _tie_rules(spec: Any, classes: set[str]) -> tuple[TieRule, ...]:
    if not isinstance(spec, list):
        _fail("tie_rules", f"expected a list, got {_show(spec)}")
    rules = []
    for i, item in enumerate(spec):
        key = f"tie_rules[{i}]"
        _mapping(item, key, {"name", "when_class", "unless_class", "drop_class", "move_class", "to"})
        for field in ("when_class", "unless_class", "drop_class", "move_class"):
            if item.get(field) is not None and item[field] not in classes:
                _fail(f"{key}.{field}", f"unknown keyword class {_show(item[field])}")
        if "when_class" not in item:
            _fail(key, "missing when_class")
        if bool(item.get("drop_class")) == bool(item.get("move_class")):
            _fail(key, "needs exactly one of drop_class, move_class")
        if item.get("move_class") and item.get("to") not in BRANCHES:
            _fail(f"{key}.to", f"expected a branch code, got {_show(item.get('to'))}")
        rules.append(TieRule(str(item.get("name", f"rule{i}")), item["when_class"], item.get("unless_class"),
                             item.get("drop_class"), item.get("move_class"), item.get("to")))
    return tuple(rules)


def _section(data: dict, name: str, allowed: set[str]) -> dict:
    return _mapping(data.get(name, {}), name, allowed)


def _build(data: dict) -> Rules:
    _mapping(data, "", _TOP_KEYS)
    th = _section(data, "thresholds", set(_THRESHOLDS))
    for k in _THRESHOLDS:
        if k not in th:
            _fail(f"thresholds.{k}", "missing")
        _number(th[k], f"thresholds.{k}", k, 0.0, 1.0 if k == "max_ratio" else 1000.0)
    branches = _mapping(data.get("branches"), "branches")
    for code in BRANCHES:
        if code not in branches:
            _fail("branches", f'missing branch "{code}"')
    classes: set[str] = set()
    heads: list[tuple[str, Entry, bool]] = []
    names, branch_words = {}, {}
    for code, spec in branches.items():
        if code not in BRANCHES:
            _fail(f"branches.{code}", f"unknown branch code (expected one of {', '.join(BRANCHES)})")
        spec = _mapping(spec, f"branches.{code}", {"name", "keywords", "phrases"})
        names[code] = str(spec.get("name", code))
        found = _groups(spec.get("keywords"), f"branches.{code}.keywords", code, classes)
        if "phrases" in spec:
            found += _groups(spec["phrases"], f"branches.{code}.phrases", code, classes)
        seen: set[str] = set()
        for _, entry, _ in found:
            if entry.word in seen:
                _fail(f"branches.{code}", f'duplicate keyword "{entry.word}"')
            seen.add(entry.word)
        branch_words[code] = frozenset(seen)
        heads += found
    oos = _section(data, "out_of_scope", {"keywords"})
    if oos:
        heads += _groups(oos.get("keywords"), "out_of_scope.keywords", TRIAGE, classes)
    return _assemble(data, th, names, branch_words, heads, classes)


def ascii_edge(ch: str) -> bool:
    """An ASCII letter or digit: such a keyword edge must not continue a word ("ct" is not in "doctor")."""
    return ch.isascii() and ch.isalnum()


def _letters(text: str) -> str:
    """`text` as four letters per character (its UTF-32 bytes). pyahocorasick looks a letter up by a
    linear scan of a node's children: on plain text the root has one child per first character of a
    head (700+), on these letters at most 256 (about 80), which makes the scan two to three times faster."""
    return text.encode("utf-32-be").decode("latin-1")


def build_automaton(raw: dict[str, list[Entry]]):
    """One pass over the text finds every head at every position (C speed); see head_hits."""
    import ahocorasick
    automaton = ahocorasick.Automaton()
    blocks = Counter(ord(ch) >> 8 for head in raw for ch in head)
    # children are searched in insertion order: heads whose first char is in a common block first
    for head, entries in sorted(raw.items(), key=lambda item: -blocks[ord(item[0][0]) >> 8]):
        automaton.add_word(_letters(head), (len(head), ascii_edge(head[0]), ascii_edge(head[-1]), tuple(entries),
                                            not any(entry.tail for entry in entries)))
    automaton.make_automaton()
    return automaton


def raw_span(heads, gap: int) -> int:
    """The longest span a match of a raw head of `heads` can have: its head, then each tail part found
    at most `gap` chars after the previous part."""
    return max((len(head) + sum(gap + len(part) for part in entry.tail) for head, entry, token in heads
                if not token), default=0)


def head_hits(text: str, rules: "Rules") -> list[tuple[int, int, tuple]]:
    """(start, -length, automaton value) of every head occurring in `text`, sorted: by start,
    longest first (a head occurs once per start and length). A hit of the letters counts only
    where it ends on a character's last letter (then it also starts on a character's first one:
    every head is a whole number of characters)."""
    hits = [((end >> 2) - value[0] + 1, -value[0], value)
            for end, value in rules.automaton.iter(_letters(text)) if end & 3 == 3]
    hits.sort()
    return hits


def _assemble(data, th, names, branch_words, heads, classes) -> Rules:
    raw: dict[str, list[Entry]] = {}
    tokens: dict[str, list[Entry]] = {}
    for head, entry, token in heads:
        (tokens if token else raw).setdefault(head, []).append(entry)
    neg = _section(data, "negation", {"cues", "not_after", "window"})
    ev = _section(data, "evidence", {"cues", "window", "branches"})
    ev_branches = ev.get("branches", [])
    if not isinstance(ev_branches, list) or any(b not in BRANCHES for b in ev_branches):
        _fail("evidence.branches", f"expected a list of branch codes, got {_show(ev_branches)}")
    tr = _section(data, "training", {"markers", "window", "bonus", "skip_class"})
    sp = _section(data, "split", {"cues", "ratio"})
    co = _section(data, "courtesy", {"words", "request_cues"})
    lists = {}
    for key, sec, field in (("negation.cues", neg, "cues"), ("negation.not_after", neg, "not_after"),
                            ("evidence.cues", ev, "cues"),
                            ("training.markers", tr, "markers"), ("split.cues", sp, "cues"),
                            ("courtesy.words", co, "words"), ("courtesy.request_cues", co, "request_cues")):
        lists[key] = _words(sec[field], key) if field in sec else ()
    stop = _words(data["stopwords"], "stopwords") if "stopwords" in data else ()
    return Rules(
        branches=BRANCHES, names=MappingProxyType(names),
        automaton=build_automaton(raw),
        token_entries=MappingProxyType({k: tuple(v) for k, v in tokens.items()}),
        token_gate=frozenset(w[0] for w in tokens),
        token_gate_re=re.compile("[" + "".join(re.escape(w[0]) for w in sorted(tokens)) + "]") if tokens else None,
        token_longest=max(map(len, tokens), default=0),
        token_chars=frozenset("".join(tokens)),
        branch_words=MappingProxyType(branch_words),
        min_score=float(th["min_score"]), min_margin=float(th["min_margin"]),
        max_ratio=float(th["max_ratio"]), saturation=max(float(th["saturation"]), 1e-6),
        phrase_gap=int(th["phrase_gap"]),
        negation=_cue_pattern(lists["negation.cues"], lists["negation.not_after"]),
        negation_window=int(_number(neg.get("window", 6), "negation.window", "window", 0, 50)),
        training=_cue_pattern(lists["training.markers"]),
        training_window=int(_number(tr.get("window", 3), "training.window", "window", 0, 20)),
        training_bonus=_number(tr.get("bonus", 0.0), "training.bonus", "bonus", 0, 100),
        training_skip_class=str(tr["skip_class"]) if tr.get("skip_class") else None,
        split_cues=_cue_pattern(lists["split.cues"]),
        split_ratio=_number(sp.get("ratio", 1.0), "split.ratio", "ratio", 0, 1),
        courtesy=_cue_pattern(lists["courtesy.words"]),
        request_cues=_cue_pattern(lists["courtesy.request_cues"]),
        tie_rules=_tie_rules(data.get("tie_rules", []), classes),
        stopwords=frozenset(stop),
        evidence=_cue_pattern(lists["evidence.cues"]),
        evidence_window=int(_number(ev.get("window", 1), "evidence.window", "window", 0, 10)),
        evidence_branches=frozenset(ev_branches),
        **load_focus(data, classes, _fail, _words, _cue_pattern, _number),
        heads=tuple(heads),
        raw_span=raw_span(heads, int(th["phrase_gap"])),
    )


def load_rules(path: str | Path) -> Rules:
    """Read, validate and precompile the rules file at `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError("", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise RulesError("", f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RulesError("", f"{path}: expected a mapping at the top level")
    return _build(data)
