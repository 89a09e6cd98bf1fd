"""Routing benchmark: dev-set quality, throughput, start-up cost and memory.

Run from the repository root:
    .venv/bin/python benchmarks/bench_routing.py [--dev P] [--dev2 P] [--holdout P] [--seconds N] [--errors]
    .venv/bin/python benchmarks/bench_routing.py --decisions OUT   # dump decisions, compare two runs with cmp
"""
from __future__ import annotations

import argparse
import gc
import json
import random
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


def _load(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _line(name: str, f: dict) -> str:
    return (f"  {name:<14} n={f['total']:<4} accuracy {f['accuracy']:.3f}  misroute {f['misroute_rate']:.3f}"
            f"  coverage {f['coverage']:.3f}  triage_recall {f['triage_recall']:.3f}")


def report(name: str, path: str | Path, rules, show_errors: bool) -> list[dict]:
    """Print one labelled set's figures (and per style when it has styles); returns its records."""
    import routing

    records = _load(path)
    summary = routing.evaluate(records, rules)
    print(f"{name}: {path} ({summary['total']} messages)"
          "   targets: misroute <= 0.02, coverage >= 0.92, triage_recall >= 0.90")
    print(_line("all", summary))
    for style, fig in summary.get("by_style", {}).items():
        print(_line(style, fig))
    if show_errors:
        for err in summary["errors"]:
            print(f"    miss {err['id']}: {err['label']} -> {err['predicted']}  {err['text'][:40]}")
    return records


def latency(texts: list[str], rules) -> tuple[float, float]:
    """p50 and p99 in ms of one classify() call on `texts` (each timed alone)."""
    import routing

    times = []
    for _ in range(5):
        for text in texts:
            t = time.perf_counter()
            routing.classify(text, rules)
            times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000


def cpu_latency(texts: list[str], rules, runs: int = 5) -> tuple[float, float]:
    """p50 and p99 across `texts`, in ms, of each text's median CPU time (thread_time_ns) over `runs`
    calls: gc collected before and off during the loop, so the figure is the code's cost without
    preemption by other processes or a collection landing in one call."""
    import routing

    per_text = [[] for _ in texts]
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            for k, text in enumerate(texts):
                t = time.thread_time_ns()
                routing.classify(text, rules)
                per_text[k].append(time.thread_time_ns() - t)
    finally:
        gc.enable()
    medians = sorted(sorted(ts)[runs // 2] for ts in per_text)
    return medians[len(medians) // 2] / 1e6, medians[int(len(medians) * 0.99)] / 1e6


def long_texts(records: list[dict], size: int = 2000) -> list[str]:
    """Texts of about `size` chars made by joining labelled messages (bursts merged into one)."""
    texts, pool = [], [r["text"] for r in records]
    for k in range(len(pool)):
        parts, n = [], 0
        while n < size:
            part = pool[(k + len(parts) * 7) % len(pool)]
            parts.append(part)
            n += len(part) + 1
        texts.append("。".join(parts)[:size])
    return texts


DATA_SETS = ("routing-dev.jsonl", "routing-dev-2.jsonl", "routing-holdout.jsonl", "routing-probe2.jsonl")


def decision_texts(seed: int = 20, randoms: int = 5000) -> list[tuple[str, str]]:
    """(group, text): every text of the four data sets, joined bursts of 100..2,500 chars and random
    texts drawn from their characters and punctuation (deterministic for `seed`)."""
    pool = [r["text"] for name in DATA_SETS for r in _load(ROOT / "tests/data" / name)]
    out = [("data", t) for t in pool]
    for size in (100, 300, 600, 1000, 1500, 2000, 2500):
        out += [(f"long{size}", t) for t in long_texts([{"text": t} for t in pool], size)]
    rng = random.Random(seed)
    chars = sorted(set("".join(pool))) + list("，。！？ 、…~ ")
    for _ in range(randoms):
        n = rng.choice((5, 20, 60, 200, 800, 2000))
        if rng.random() < 0.5:
            text = "".join(rng.choice(chars) for _ in range(n))
        else:
            words = [t[rng.randrange(len(t)):][:rng.randint(1, 8)] for t in rng.choices(pool, k=n // 4 + 1)]
            text = "".join(w + rng.choice(("", "", "，", " ", "。")) for w in words)[:n]
        out.append(("random", text))
    return out


def dump_decisions(path: str, rules) -> None:
    """One JSON line per text of decision_texts(): group, length and the full decision."""
    import routing

    with open(path, "w", encoding="utf-8") as fh:
        for group, text in decision_texts():
            d = routing.classify(text, rules).to_dict()
            fh.write(json.dumps({"group": group, "chars": len(text), **d}, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default=str(ROOT / "tests/data/routing-dev.jsonl"))
    parser.add_argument("--dev2", default=str(ROOT / "tests/data/routing-dev-2.jsonl"),
                        help="second development set, eight styles")
    parser.add_argument("--holdout", default=str(ROOT / "tests/data/routing-holdout.jsonl"),
                        help="independently written labelled sample")
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget of the throughput loop")
    parser.add_argument("--errors", action="store_true", help="list every misclassified message")
    parser.add_argument("--decisions", metavar="OUT", help="only write every decision of decision_texts() to OUT")
    args = parser.parse_args(argv)

    rss_before = rss_mib()
    t0 = time.perf_counter()
    import routing

    rules = routing.load_rules(ROOT / "routing/rules.yaml")
    t_rules = time.perf_counter()
    routing.init_segmenter(ROOT / "routing/userdict.txt", ROOT / "var", token_chars=rules.token_chars)
    t_ready = time.perf_counter()
    if args.decisions:
        dump_decisions(args.decisions, rules)
        return 0

    records = []
    for name, path in (("dev1", args.dev), ("dev2", args.dev2), ("holdout", args.holdout)):
        if Path(path).exists():
            records += report(name, path, rules, args.errors)
        else:
            print(f"{name}: {path} missing")
    texts = [r["text"] for r in records]

    for text in texts:                      # warm-up
        routing.classify(text, rules)
    rates, start = [], time.perf_counter()
    while time.perf_counter() - start < args.seconds or len(rates) < 5:
        t = time.perf_counter()
        for text in texts:
            routing.classify(text, rules)
        rates.append(len(texts) / (time.perf_counter() - t))
    rates.sort()
    p50, p99 = latency(texts, rules)
    longs = long_texts(records)
    l50, l99 = latency(longs, rules)
    c50, c99 = cpu_latency(longs, rules)

    print(f"throughput    {rates[-1]:,.0f} messages/s best round, {rates[len(rates) // 2]:,.0f} median"
          f" (one core, warm, {len(rates)} rounds of {len(texts)} calls; target >= 20,000)")
    print(f"latency       p50 {p50:.3f} ms, p99 {p99:.3f} ms (set messages)")
    print(f"latency 2000  p50 {l50:.3f} ms, p99 {l99:.3f} ms (2,000-char texts; target p99 < 1 ms)")
    print(f"cpu 2000      p50 {c50:.3f} ms, p99 {c99:.3f} ms (2,000-char texts: per text the median CPU"
          " time of 5 runs, gc off; p50/p99 across texts)")
    print(f"start-up      {t_ready - t0:.3f} s (import + rules load {t_rules - t0:.3f} s, jieba init {t_ready - t_rules:.3f} s)")
    print(f"memory        RSS {rss_mib():.1f} MiB (interpreter before import {rss_before:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
