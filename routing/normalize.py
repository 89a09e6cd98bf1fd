"""Text preparation shared by rules loading, classification and suggestions.

normalize() makes every variant of a message look the same before matching:
traditional -> simplified (OpenCC t2s), full-width -> half-width (NFKC),
lower case, emoji and invisible marks dropped, every run of whitespace or
punctuation folded into one ASCII space. The space is the clause boundary the
classifier relies on (negation scope, phrase gaps).

The jieba segmenter lives here too: initialised once per process, with its
cache file in our own directory and the domain user dictionary loaded.
"""
from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path

_converter = None
_converter_lock = threading.Lock()
_seg_lock = threading.Lock()
_seg_ready = False

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


def _t2s():
    """The OpenCC traditional -> simplified converter, created once per process."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc  # the C++ binding (package OpenCC)

                _converter = opencc.OpenCC("t2s")
    return _converter


def normalize(text: str) -> str:
    """Return the canonical form of `text` used for all matching."""
    if not text:
        return ""
    folded = _t2s().convert(text.translate(_TABLE))
    return " ".join(folded.split())


DEFAULT_USER_DICT = Path(__file__).resolve().parent / "userdict.txt"


def default_cache_dir() -> Path:
    """The repository's var/ directory (gitignored), next to the routing package."""
    return Path(__file__).resolve().parents[1] / "var"


def init_segmenter(user_dict: str | Path | None, cache_dir: str | Path) -> None:
    """Initialise jieba once per process; later calls are no-ops.

    The prefix-dictionary cache goes to `cache_dir` (never the shared temp
    dir); `user_dict` (a jieba user dictionary) is loaded after the main one.
    """
    global _seg_ready
    if _seg_ready:
        return
    with _seg_lock:
        if _seg_ready:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        cache = Path(cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(cache)
        jieba.dt.cache_file = "jieba.cache"
        jieba.dt.initialize()
        if user_dict is not None:
            jieba.dt.load_userdict(str(user_dict))
        _seg_ready = True


def ensure_segmenter() -> None:
    """Lazily initialise with the package defaults if the app never did."""
    if not _seg_ready:
        init_segmenter(DEFAULT_USER_DICT, default_cache_dir())


def cut(text: str) -> list[str]:
    """Segment already-normalized text (precise mode, no HMM: fast and stable)."""
    ensure_segmenter()
    import jieba

    return jieba.dt.lcut(text, HMM=False)
