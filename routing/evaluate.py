"""evaluate(): accuracy, misroute rate, coverage and triage recall on labeled messages."""
from __future__ import annotations

from typing import Iterable

from .classifier import classify
from .rules import TRIAGE, Rules


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _figures(pairs: list[tuple[str, str]]) -> dict:
    """The four figures of (label, predicted) pairs."""
    answered = [(lab, pred) for lab, pred in pairs if pred != TRIAGE]
    branch = [pred for lab, pred in pairs if lab != TRIAGE]
    triage = [pred for lab, pred in pairs if lab == TRIAGE]
    return {
        "total": len(pairs),
        "accuracy": _share(sum(lab == pred for lab, pred in pairs), len(pairs)),
        "misroute_rate": _share(sum(lab != pred for lab, pred in answered), len(answered)),
        "coverage": _share(sum(pred != TRIAGE for pred in branch), len(branch)),
        "triage_recall": _share(sum(pred == TRIAGE for pred in triage), len(triage)),
    }


def evaluate(records: Iterable[dict], rules: Rules) -> dict:
    """Classify each {"text", "label"[, "id", "style"]} record and summarise (JSON-ready).

    misroute_rate: wrong branch among answers that named a branch;
    coverage: share of branch-labeled messages answered with any branch;
    triage_recall: share of triage-labeled messages answered triage.
    When records carry a "style", "by_style" holds the same figures per style.
    """
    pairs: list[tuple[str, str]] = []
    styles: dict[str, list[tuple[str, str]]] = {}
    confusion: dict[str, dict[str, int]] = {}
    errors = []
    for rec in records:
        label, text = rec["label"], rec["text"]
        predicted = classify(text, rules).branch
        pairs.append((label, predicted))
        if rec.get("style"):
            styles.setdefault(str(rec["style"]), []).append((label, predicted))
        row = confusion.setdefault(label, {})
        row[predicted] = row.get(predicted, 0) + 1
        if predicted != label:
            errors.append({"id": rec.get("id"), "text": text, "label": label, "predicted": predicted,
                           **({"style": rec["style"]} if rec.get("style") else {})})
    summary = _figures(pairs)
    if styles:
        summary["by_style"] = {style: _figures(p) for style, p in sorted(styles.items())}
    summary["confusion"] = confusion
    summary["errors"] = errors
    return summary
