"""suggest_keywords(): propose new keywords from messages a person re-routed by hand.

Pure: reads the corrections and the rules, changes nothing. A person decides
what goes into rules.yaml.
"""
from __future__ import annotations

from typing import Iterable

from .normalize import cut, normalize
from .rules import TRIAGE, Rules

# Function words and request boilerplate that recur in every message.
_BASE_STOPWORDS = frozenset("""
的 了 吗 呢 吧 啊 呀 和 与 及 或 在 是 有 没 不 也 都 就 还 又 再 很 太 更 最 把 被 给 对 从 向 到 让 跟 这 那 哪 谁 啥
什么 怎么 怎样 为什么 一下 一些 一点 一次 一个 一直 这个 那个 这些 那些 这里 那里 这边 那边 我们 你们 他们 她们 它们
我 你 他 她 它 自己 大家 请 请问 想 想要 要 能 会 可以 能否 能不能 需要 希望 麻烦 谢谢 您好 你好 老师 同志 然后 但是
因为 所以 如果 已经 还是 比较 有点 有些 现在 今天 明天 昨天 上次 下次 时候 问题 事情 情况 怎么办 好 多 少 来 去 做
看 说 问 帮 派 找 用 下来 过来 上来 一起 个 位 名 次 天 月 年 号
""".split())

# Single characters worth proposing (they carry a topic on their own).
_MEANINGFUL_SINGLE = frozenset("修坏眼牙耳疝喘孕痔癣车电网水药")


def _candidates(text: str, rules: Rules) -> set[str]:
    out = set()
    for tok in cut(normalize(text)):
        tok = tok.strip()
        if not tok or tok in _BASE_STOPWORDS or tok in rules.stopwords:
            continue
        if tok.isdigit() or not any(ch.isalnum() for ch in tok):
            continue
        if len(tok) == 1 and tok not in _MEANINGFUL_SINGLE:
            continue
        out.add(tok)
    return out


def suggest_keywords(corrections: Iterable[tuple[str, str]], rules: Rules,
                     min_count: int = 2) -> dict[str, list[dict]]:
    """Per corrected branch, tokens recurring in at least `min_count` messages.

    Each proposal is {"word", "count", "examples": [up to 3 texts]}, sorted by
    count (then word); tokens already keywords of that branch are skipped.
    Raises ValueError for a branch code the rules do not know.
    """
    counts: dict[str, dict[str, list[str]]] = {}
    for text, branch in corrections:
        if branch not in rules.branches and branch != TRIAGE:
            raise ValueError(f"unknown branch code {branch!r}")
        known = rules.branch_words.get(branch, frozenset())
        seen = counts.setdefault(branch, {})
        for tok in _candidates(text or "", rules):
            if tok not in known:
                seen.setdefault(tok, []).append(text)
    result: dict[str, list[dict]] = {}
    for branch, words in counts.items():
        rows = [{"word": w, "count": len(texts), "examples": texts[:3]}
                for w, texts in words.items() if len(texts) >= min_count]
        if rows:
            result[branch] = sorted(rows, key=lambda r: (-r["count"], r["word"]))
    return result
