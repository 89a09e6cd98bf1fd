"""A small Prometheus registry: counters and histograms, rendered in the text format.

Per process: under gunicorn each worker exposes its own figures, labelled with
`pid`, so a scrape of every worker (or the sum in Prometheus) gives the total.
"""
from __future__ import annotations

import os
import threading
from bisect import bisect_left

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple], float] = {}
        self._hist: dict[str, list] = {}
        self._help: dict[str, str] = {}

    def inc(self, name: str, help_text: str = "", amount: float = 1, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._help.setdefault(name, help_text)
            self._counters[key] = self._counters.get(key, 0) + amount

    def observe(self, name: str, value: float, help_text: str = "") -> None:
        with self._lock:
            self._help.setdefault(name, help_text)
            h = self._hist.setdefault(name, [[0] * (len(LATENCY_BUCKETS) + 1), 0.0, 0])
            h[0][bisect_left(LATENCY_BUCKETS, value)] += 1
            h[1] += value
            h[2] += 1

    def value(self, name: str, **labels: str) -> float:
        return self._counters.get((name, tuple(sorted(labels.items()))), 0)

    def render(self) -> str:
        pid = str(os.getpid())
        lines: list[str] = []
        with self._lock:
            names = sorted({n for n, _ in self._counters})
            for name in names:
                lines += [f"# HELP {name} {self._help.get(name, '')}", f"# TYPE {name} counter"]
                for (n, labels), v in sorted(self._counters.items()):
                    if n == name:
                        lab = ",".join(f'{k}="{val}"' for k, val in labels + (("pid", pid),))
                        lines.append(f"{name}{{{lab}}} {v:g}")
            for name, (buckets, total, count) in sorted(self._hist.items()):
                lines += [f"# HELP {name} {self._help.get(name, '')}", f"# TYPE {name} histogram"]
                running = 0
                for bound, n in zip(LATENCY_BUCKETS + (float("inf"),), buckets):
                    running += n
                    le = "+Inf" if bound == float("inf") else f"{bound:g}"
                    lines.append(f'{name}_bucket{{le="{le}",pid="{pid}"}} {running}')
                lines.append(f'{name}_sum{{pid="{pid}"}} {total:.6f}')
                lines.append(f'{name}_count{{pid="{pid}"}} {count}')
        return "\n".join(lines) + "\n"
