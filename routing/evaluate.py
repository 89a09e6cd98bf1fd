"""evaluate(): accuracy, misroute rate, coverage and triage recall on labeled messages."""
from __future__ import annotations

from typing import Iterable

from .classifier import classify
from .rules import TRIAGE, Rules


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def evaluate(records: Iterable[dict], rules: Rules) -> dict:
    """Classify each {"text", "label"[, "id"]} record and summarise (JSON-ready).

    misroute_rate: wrong branch among answers that named a branch;
    coverage: share of branch-labeled messages answered with any branch;
    triage_recall: share of triage-labeled messages answered triage.
    """
    total = correct = answered = wrong = branch_labeled = covered = triage_labeled = triage_hit = 0
    confusion: dict[str, dict[str, int]] = {}
    errors = []
    for rec in records:
        label, text = rec["label"], rec["text"]
        predicted = classify(text, rules).branch
        total += 1
        row = confusion.setdefault(label, {})
        row[predicted] = row.get(predicted, 0) + 1
        if predicted == label:
            correct += 1
        else:
            errors.append({"id": rec.get("id"), "text": text, "label": label, "predicted": predicted})
        if predicted != TRIAGE:
            answered += 1
            wrong += predicted != label
        if label == TRIAGE:
            triage_labeled += 1
            triage_hit += predicted == TRIAGE
        else:
            branch_labeled += 1
            covered += predicted != TRIAGE
    return {
        "total": total,
        "accuracy": _share(correct, total),
        "misroute_rate": _share(wrong, answered),
        "coverage": _share(covered, branch_labeled),
        "triage_recall": _share(triage_hit, triage_labeled),
        "confusion": confusion,
        "errors": errors,
    }
