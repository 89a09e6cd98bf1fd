"""A local spool for inbound messages that arrive while the database is unreachable.

Each message is appended as one JSON line and fsync'd before WeChat gets its
answer. `take()` atomically renames the spool aside so that new messages keep
appending while a replay stores the old ones (with dedupe, so a crash during
replay and a second replay store nothing twice).
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Iterator


class Spool:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.path = self.dir / "inbound.spool"

    def append(self, record: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def pending(self) -> int:
        return sum(1 for _ in self._lines(self.path)) + sum(
            1 for p in self.dir.glob("inbound.spool.replay-*") for _ in self._lines(p))

    def take(self) -> list[Path]:
        """Move the live spool aside (under the same lock appenders use) and return every file to replay."""
        if self.path.exists():
            fd = os.open(self.path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.replace(self.path, self.dir / f"inbound.spool.replay-{os.getpid()}-{os.urandom(3).hex()}")
            finally:
                os.close(fd)
        return sorted(self.dir.glob("inbound.spool.replay-*")) if self.dir.exists() else []

    @staticmethod
    def read(path: Path) -> Iterator[dict]:
        for line in Spool._lines(path):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line from a crash mid-write: WeChat was not answered, it retries

    @staticmethod
    def _lines(path: Path) -> Iterator[str]:
        if not path.exists():
            return
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield line
