"""with_overlay(): the rules file plus words the office accepted, as a new Rules (the base is untouched).

An overlay word is a plain keyword (matched anywhere in the text, like the file's words) of one
branch with its own weight. It replaces a plain keyword of the same spelling in the file, so the
office can also move a word to another branch; phrases starting with it are kept.
"""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Iterable

from .normalize import normalize
from .rules import Entry, Rules, RulesError, build_automaton, raw_span

MIN_CHARS = 2  # a single character would fire inside unrelated words (修 in 进修)
MAX_CHARS = 32


def overlay_word(word: str) -> str:
    """The normalized form an overlay word is stored and matched in; RulesError if it cannot be one."""
    norm = normalize(word or "").strip()
    if not MIN_CHARS <= len(norm) <= MAX_CHARS or " " in norm or "..." in norm:
        raise RulesError("overlay", f"{word!r}: an overlay word has {MIN_CHARS}..{MAX_CHARS} characters and no spaces")
    return norm


def with_overlay(rules: Rules, words: Iterable[tuple[str, str, float]]) -> Rules:
    """`rules` plus every (word, branch code, weight); `rules` itself is returned when there are none."""
    extra: dict[str, Entry] = {}
    for word, branch, weight in words:
        if branch not in rules.branches:
            raise RulesError("overlay", f"{word!r}: unknown branch code {branch!r}")
        norm = overlay_word(word)
        extra[norm] = Entry(norm, branch, float(weight), None, ())
    if not extra:
        return rules
    kept = [(head, entry, token) for head, entry, token in rules.heads
            if entry.tail or head not in extra]
    heads = kept + [(word, entry, False) for word, entry in extra.items()]
    raw: dict[str, list[Entry]] = {}
    for head, entry, token in heads:
        if not token:
            raw.setdefault(head, []).append(entry)
    tokens = {word: entries for word, entries in rules.token_entries.items() if word not in extra}
    branch_words = {code: frozenset(w for w in words_ if w not in extra) for code, words_ in rules.branch_words.items()}
    for word, entry in extra.items():
        branch_words[entry.branch] = branch_words.get(entry.branch, frozenset()) | {word}
    return replace(rules, automaton=build_automaton(raw), token_entries=MappingProxyType(tokens),
                   branch_words=MappingProxyType(branch_words), heads=tuple(heads),
                   raw_span=raw_span(heads, rules.phrase_gap))
