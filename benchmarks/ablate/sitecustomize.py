"""Benchmark-only: take one stage out of the served pipeline to measure what it costs.

`bench_webhook.py --ablate` puts this directory first on PYTHONPATH of the full
server and sets TONGXIN_BENCH_ABLATE; nothing in the application reads it. In
each gunicorn worker (after the fork, before the app is built) it patches:

- classify: the intake plan (services.intake_plan) reuses the decision of its first message instead of
  classifying each one (a message is still verified, parsed, numbered, stored, answered);
- database: the group writer runs (groups form, waiters wake) but its insert
  stores nothing and reports every row as new (NOT durable: a measurement only).
"""
import os

_WHAT = set(filter(None, os.environ.get("TONGXIN_BENCH_ABLATE", "").split(",")))


def _patch() -> None:
    import handlers.fastlane as fastlane
    import services.tasks.plan as intake_plan

    if "classify" in _WHAT:
        real, first = intake_plan.classify, []

        def classify_once(text, rules):
            if not first:
                first.append(real(text, rules))
            return first[0]
        intake_plan.classify = classify_once
    if "database" in _WHAT:
        init = fastlane.FastLane.__init__

        def init_without_store(self, *args, **kwargs):
            init(self, *args, **kwargs)
            self.writer.insert = lambda rows: {row["dedupe_key"] for row in rows}
        fastlane.FastLane.__init__ = init_without_store


if _WHAT:
    os.register_at_fork(after_in_child=_patch)
