"""Tongxin routing: message text -> department party branch (or "triage").

Pure package: stdlib, jieba, OpenCC and PyYAML only.

    rules = load_rules("routing/rules.yaml")
    init_segmenter("routing/userdict.txt", "var")   # once at start-up
    classify("B超机坏了", rules).to_dict()
"""
from .classifier import Decision, classify
from .evaluate import evaluate
from .normalize import init_segmenter, normalize
from .rules import BRANCHES, TRIAGE, Rules, RulesError, load_rules
from .overlay import with_overlay
from .suggest import suggest_keywords

DEFAULT_RULES = __path__[0] + "/rules.yaml"
DEFAULT_USER_DICT = __path__[0] + "/userdict.txt"

__all__ = ["BRANCHES", "TRIAGE", "DEFAULT_RULES", "DEFAULT_USER_DICT", "Decision", "Rules", "RulesError",
           "classify", "evaluate", "init_segmenter", "load_rules", "normalize", "suggest_keywords", "with_overlay"]
