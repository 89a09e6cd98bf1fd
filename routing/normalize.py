"""Text preparation shared by rules loading, classification and suggestions.

normalize() makes every variant of a message look the same before matching:
traditional -> simplified (OpenCC t2s), full-width -> half-width (NFKC),
lower case, emoji and invisible marks dropped, every run of whitespace or
punctuation folded into one ASCII space. The space is the clause boundary the
classifier relies on (negation scope, phrase gaps).

The jieba segmenters live here too: a compact domain one for the classifier,
built once per process at start-up, and the full dictionary for keyword
suggestions, loaded only when asked for; caches go to our own directory and
the domain user dictionary is loaded into both.
"""
from __future__ import annotations

import hashlib
import heapq
import logging
import os
import re
import string
from math import log
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

_converter = None
_converter_lock = threading.Lock()
_seg_lock = threading.RLock()
_config: tuple[Path | None, Path] | None = None  # (user dictionary, cache directory)
_full = None     # jieba.Tokenizer with the full dictionary, loaded on first cut()
_domain = None   # (characters covered, jieba.Tokenizer with the compact domain dictionary)
DOMAIN_TOP = 50000

# Unicode categories: folded to a space (punctuation, separators, math and
# currency symbols, control characters) or dropped (emoji and other symbols,
# modifier symbols, format chars such as ZWJ, combining marks, variation
# selectors, private use, surrogates, unassigned).
_FOLD = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Zl", "Zp", "Sm", "Sc", "Cc"})
_DROP = frozenset({"So", "Sk", "Cf", "Mn", "Me", "Co", "Cs", "Cn"})


class _CharTable(dict):
    """str.translate table filled on demand: code point -> folded NFKC lower form."""

    def __missing__(self, code: int) -> str:
        out = []
        for ch in unicodedata.normalize("NFKC", chr(code)).lower():
            cat = unicodedata.category(ch)
            out.append(" " if cat in _FOLD else "" if cat in _DROP else ch)
        value = "".join(out)
        if len(self) < 50000:
            self[code] = value
        return value


_TABLE = _CharTable()


def _plain_classes() -> tuple[str, str]:
    """Characters whose table entry is their str.lower() (kept) or a single space (folded), among
    ASCII, CJK punctuation, full-width forms and quotes/dashes; every one checked against _TABLE."""
    keep, fold = [], []
    codes = (*range(128), *range(0x3000, 0x3040), *range(0xFF00, 0xFF66), *range(0x2010, 0x2028))
    for ch in map(chr, codes):
        out = _TABLE[ord(ch)]
        if out == " " and ch.lower() == ch:
            fold.append(ch)
        elif len(out) == 1 and out == ch.lower():
            keep.append(ch)
    return "".join(keep), "".join(fold)


_KEEP, _FOLDED = _plain_classes()
# CJK unified ideographs U+4E00..U+9FFF are their own table entry (tests/test_routing.py checks it):
# a text of only these, _KEEP and _FOLDED chars maps by lower() and folding, without a lookup per char.
_NOT_PLAIN = re.compile("[^\u4e00-\u9fff" + re.escape(_KEEP) + re.escape(_FOLDED) + "]")
# on such a text every whitespace char (str.split) is one of _FOLDED: a run of them becomes one space
_FOLD_RUN = re.compile("[" + re.escape(_FOLDED) + "]+")


def _t2s():
    """The OpenCC traditional -> simplified converter, created once per process."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc  # the C++ binding (package OpenCC)

                _converter = opencc.OpenCC("t2s")
    return _converter


_T2S_PHRASES = Path(__file__).resolve().parent / "t2s_phrases.txt"
_trigger: list[re.Pattern | None] = []   # [the pattern of _t2s_trigger], once built
_trigger_lock = threading.Lock()


def _t2s_trigger() -> re.Pattern | None:
    """One character of every part of a plain-path text that OpenCC t2s changes: a character it changes
    on its own (probed once among the ideographs and lower-cased plain chars) or a character a phrase of
    t2s_phrases.txt changes (a phrase changed though none of its characters is alone). None, so OpenCC
    converts every text, when that list was made for another OpenCC version."""
    if not _trigger:
        with _trigger_lock:
            if not _trigger:
                _trigger.append(_build_trigger())
    return _trigger[0]


def _build_trigger() -> re.Pattern | None:
    import importlib.metadata

    lines = _T2S_PHRASES.read_text(encoding="utf-8").splitlines()
    if not lines[0].startswith(f"# OpenCC {importlib.metadata.version('OpenCC')} t2s:"):
        logging.getLogger("tongxin.routing").warning("%s was made for another OpenCC; converting every text",
                                                     _T2S_PHRASES.name)
        return None
    chars = sorted(({chr(c) for c in range(0x4E00, 0xA000)} | set(_KEEP.lower()) | {" "}) - {"\n"})
    changed = {ch for ch, out in zip(chars, _t2s().convert("\n".join(chars)).split("\n")) if out != ch}
    for key, value in (line.split("\t") for line in lines if not line.startswith("#")):
        changed.update(k for k, v in zip(key, value) if k != v) if len(key) == len(value) else changed.update(key)
    return re.compile("[" + "".join(map(re.escape, sorted(changed))) + "]")


_SPAN, _SPANS = 64, 4   # OpenCC converts runs of whole clauses of about _SPAN chars; the rest at once after _SPANS


def _convert_clauses(text: str, trigger: re.Pattern) -> str:
    """OpenCC on the clauses of `text` (single spaces between them) from each `trigger` character to the
    end of the clause _SPAN chars on, the others as they are: the same as converting the whole, as no
    key or value of its dictionaries holds whitespace (tests/test_routing.py checks both). A text with
    more such places converts at once from its (_SPANS + 1)-th one."""
    out, done, hit = [], 0, trigger.search(text)
    while hit is not None:
        lo = text.rfind(" ", 0, hit.start()) + 1
        hi = text.find(" ", hit.start() + _SPAN) if len(out) < 2 * _SPANS else -1
        hi = len(text) if hi < 0 else hi
        out += (text[done:lo], _t2s().convert(text[lo:hi]))
        done, hit = hi, trigger.search(text, hi)
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def normalize(text: str) -> str:
    """Return the canonical form of `text` used for all matching."""
    if not text:
        return ""
    if _NOT_PLAIN.search(text) is None:   # the common case, same result as the table
        mapped = _FOLD_RUN.sub(" ", text.lower()).strip(" ")
        trigger = _t2s_trigger()
        if trigger is not None:           # OpenCC only where it changes something
            return _convert_clauses(mapped, trigger)
    else:
        mapped = text.translate(_TABLE)
    return " ".join(_t2s().convert(mapped).split())


DEFAULT_USER_DICT = Path(__file__).resolve().parent / "userdict.txt"


def default_cache_dir() -> Path:
    """The repository's var/ directory (gitignored), next to the routing package."""
    return Path(__file__).resolve().parents[1] / "var"


def init_segmenter(user_dict: str | Path | None, cache_dir: str | Path,
                   token_chars: Iterable[str] | None = None) -> None:
    """Configure jieba once per process; with `token_chars`, build the classifier's segmenter now.

    The classifier only asks jieba whether a token-only keyword (a single character
    such as 眼 or 修) stands alone, so it uses a compact domain dictionary: every
    single character, every word containing a keyword character and the
    DOMAIN_TOP most frequent general words (so that neighbours segment as they do
    with the full dictionary), with the full dictionary's total frequency. About
    8 MiB instead of about 70 MiB per process. The full dictionary loads only if
    `cut` is called (keyword suggestions, offline). Caches go to `cache_dir`.
    """
    global _config
    with _seg_lock:
        if _config is None:
            _config = (Path(user_dict) if user_dict is not None else None, Path(cache_dir))
    if token_chars is not None:
        _domain_segmenter(frozenset(token_chars))


def _configured() -> tuple[Path | None, Path]:
    if _config is None:
        init_segmenter(DEFAULT_USER_DICT, default_cache_dir())
    return _config


def _tokenizer(dictionary: Path, cache_file: str, total: int | None = None):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    user_dict, cache = _configured()
    cache.mkdir(parents=True, exist_ok=True)
    tok = jieba.Tokenizer(dictionary=str(dictionary))
    tok.tmp_dir, tok.cache_file = str(cache), cache_file
    tok.initialize()
    if total is not None:
        tok.total = total  # route probabilities as with the full dictionary
    if user_dict is not None:
        tok.load_userdict(str(user_dict))
    tok.longest_word = max(map(len, tok.FREQ))   # prefixes are keys too: the longest key is a word
    return tok


def _main_dictionary() -> Path:
    import jieba

    return Path(jieba.__file__).resolve().parent / "dict.txt"


def domain_dictionary(chars: frozenset[str], cache: Path, top: int = DOMAIN_TOP) -> tuple[Path, int]:
    """Write (once, atomically) the compact dictionary for `chars`; returns its path and the full total."""
    main = _main_dictionary()
    st = main.stat()
    key = hashlib.sha1(f"{''.join(sorted(chars))}|{top}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    path, meta = cache / f"jieba-domain-{key}.txt", cache / f"jieba-domain-{key}.total"
    if path.exists() and meta.exists():
        return path, int(meta.read_text())
    lines = main.read_text(encoding="utf-8").splitlines(keepends=True)
    freqs = [int(line.split(" ", 2)[1]) for line in lines]
    total = sum(freqs)
    common = set(heapq.nlargest(top, range(len(lines)), key=freqs.__getitem__))
    kept = [line for i, line in enumerate(lines)
            if i in common or not chars.isdisjoint(word := line.split(" ", 1)[0]) or len(word) == 1]
    cache.mkdir(parents=True, exist_ok=True)
    for target, text in ((path, "".join(kept)), (meta, str(total))):
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)  # several workers may build it at once
    return path, total


def _domain_segmenter(chars: frozenset[str]):
    """The classifier's segmenter, rebuilt (rarely) if rules bring a new keyword character."""
    global _domain
    seg = _domain
    if seg is not None and chars <= seg[0]:
        return seg[1]
    with _seg_lock:
        if _domain is None or not chars <= _domain[0]:
            wanted = chars | (_domain[0] if _domain else frozenset())
            try:
                path, total = domain_dictionary(wanted, _configured()[1])
            except OSError as exc:  # a read-only data directory: correct, only bigger
                logging.getLogger("tongxin.routing").warning("compact jieba dictionary unavailable (%s); "
                                                             "using the full one", exc)
                path, total = _main_dictionary(), None
            _domain = (wanted, _tokenizer(path, path.stem + ".cache", total))
        return _domain[1]


def segment_runs(text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match]:
    """The runs of `text` (from `pos`, up to `endpos`) that jieba segments each on its own
    (its re_han_default), with their positions."""
    import jieba

    return jieba.re_han_default.finditer(text, pos, len(text) if endpos is None else endpos)


_ENG = re.compile("[a-zA-Z0-9]")   # jieba joins single such characters into one token (re_eng)
_ENG_CHARS = frozenset(string.ascii_letters + string.digits)   # the same, as a set of characters


def cut_alone(text: str, pos: int, chars: frozenset[str]) -> bool:
    """True when jieba's precise mode (no HMM) must cut text[pos] as a token of its own, found
    without segmenting: no word of two or more characters of the classifier's dictionary
    covers `pos` in `text` (one run of segment_runs), so every route through the run
    passes through that single character. False means: segment to know."""
    tok = _domain_segmenter(chars)
    freq, longest = tok.FREQ, tok.longest_word
    if _ENG.match(text, pos):
        return False
    for k in range(max(0, pos - longest + 1), pos + 1):
        j = pos + 1 if k == pos else pos
        frag = text[k:j + 1]
        while j < len(text) and frag in freq:   # freq holds every prefix of a word (count 0)
            if freq[frag]:
                return False
            j += 1
            frag = text[k:j + 1]
    return True


def cut_tokens(text: str, chars: frozenset[str]) -> list[str]:
    """Segment normalized text for token-only keywords made of `chars` (precise mode, no HMM)."""
    return _domain_segmenter(chars).lcut(text, HMM=False)


def cut_run(run: str, chars: frozenset[str]) -> list[str]:
    """cut_tokens() of one whole run of segment_runs, without jieba's per-call work: the same DAG,
    route and float sums as its precise mode without HMM (tests/test_routing.py checks the tokens)."""
    tok = _domain_segmenter(chars)
    get, n, logtotal = tok.FREQ.get, len(run), log(tok.total)
    score, last = [0] * (n + 1), [0] * (n + 1)   # jieba's route[k]: (score[k], last[k])
    for k in range(n - 1, -1, -1):
        best, end, i, f = None, k, k, get(run[k])
        while f is not None:   # run[k:i + 1] is a key: a word (f > 0) or a prefix of one
            if f:              # jieba: max((log(freq or 1) - logtotal + route[x + 1][0], x) for x in DAG[k])
                value = log(f) - logtotal + score[i + 1]
                if best is None or value >= best:   # i grows: on a tie the later one, as max() of the pairs
                    best, end = value, i
            i += 1
            f = get(run[k:i + 1]) if i < n else None
        score[k] = best if best is not None else log(1) - logtotal + score[k + 1]
        last[k] = end
    return _join_eng(run, last)


def _join_eng(run: str, last: list[int]) -> list[str]:
    """Follow the route (`last`: where the word starting at each position ends); consecutive single
    ASCII letters or digits become one token (as jieba does)."""
    out, buf, x, n = [], "", 0, len(run)
    while x < n:
        y = last[x] + 1
        word = run[x:y]
        if y - x == 1 and word in _ENG_CHARS:
            buf += word
        else:
            if buf:
                out.append(buf)
                buf = ""
            out.append(word)
        x = y
    if buf:
        out.append(buf)
    return out


def cut(text: str) -> list[str]:
    """Segment already-normalized text with jieba's full dictionary (keyword suggestions)."""
    global _full
    if _full is None:
        with _seg_lock:
            if _full is None:
                _full = _tokenizer(_main_dictionary(), "jieba.cache")
    return _full.lcut(text, HMM=False)
