"""Routing benchmark: dev-set quality, throughput, start-up cost and memory.

Run from the repository root:
    .venv/bin/python benchmarks/bench_routing.py [--dev PATH] [--seconds N]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    """Resident set size of this process (VmRSS), in MiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default=str(ROOT.parent / "shared/data/routing-dev.jsonl"))
    parser.add_argument("--holdout", default=str(ROOT / "tests/data/routing-holdout.jsonl"),
                        help="second, independently written labelled sample")
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget of the throughput loop")
    args = parser.parse_args(argv)

    rss_before = rss_mib()
    t0 = time.perf_counter()
    import routing

    rules = routing.load_rules(ROOT / "routing/rules.yaml")
    t_rules = time.perf_counter()
    routing.init_segmenter(ROOT / "routing/userdict.txt", ROOT / "var", token_chars=rules.token_chars)
    t_ready = time.perf_counter()

    with open(args.dev, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    summary = routing.evaluate(records, rules)
    texts = [r["text"] for r in records]

    for text in texts:                      # warm-up
        routing.classify(text, rules)
    rates, calls, start = [], 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds or len(rates) < 5:
        t = time.perf_counter()
        for _ in range(10):
            for text in texts:
                routing.classify(text, rules)
        rates.append(10 * len(texts) / (time.perf_counter() - t))
        calls += 10 * len(texts)
    rates.sort()

    print(f"dev set: {args.dev} ({summary['total']} messages)")
    print(f"accuracy      {summary['accuracy']:.4f}")
    print(f"misroute_rate {summary['misroute_rate']:.4f}   (target <= 0.03)")
    print(f"coverage      {summary['coverage']:.4f}   (target >= 0.90)")
    print(f"triage_recall {summary['triage_recall']:.4f}   (target >= 0.90)")
    for err in summary["errors"]:
        print(f"  miss {err['id']}: {err['label']} -> {err['predicted']}  {err['text'][:40]}")
    holdout = Path(args.holdout)
    if holdout.exists():
        with open(holdout, encoding="utf-8") as fh:
            h_summary = routing.evaluate([json.loads(line) for line in fh if line.strip()], rules)
        print(f"holdout set: {holdout} ({h_summary['total']} messages)")
        print(f"accuracy      {h_summary['accuracy']:.4f}")
        print(f"misroute_rate {h_summary['misroute_rate']:.4f}   (target <= 0.03)")
        print(f"coverage      {h_summary['coverage']:.4f}   (target >= 0.90)")
        print(f"triage_recall {h_summary['triage_recall']:.4f}   (target >= 0.90)")
        for err in h_summary["errors"]:
            print(f"  miss {err['id']}: {err['label']} -> {err['predicted']}  {err['text'][:40]}")
    print(f"throughput    {rates[-1]:,.0f} messages/s best round, {rates[len(rates) // 2]:,.0f} median"
          f" (one core, warm, {len(rates)} rounds of {10 * len(texts)} calls)")
    print(f"start-up      {t_ready - t0:.3f} s (import + rules load {t_rules - t0:.3f} s, jieba init {t_ready - t_rules:.3f} s)")
    print(f"memory        RSS {rss_mib():.1f} MiB (interpreter before import {rss_before:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
