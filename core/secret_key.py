"""The console's session key in sandbox mode: random, made once, kept in var/ (mode 0600).

Outside sandbox mode SECRET_KEY comes from the environment (core.config); this file
only serves a run with no WeChat credential of any kind, so that restarts keep sessions
and no key is ever shared between installations.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 32


def _read(path: Path) -> str | None:
    key = path.read_text(encoding="utf-8").strip()
    return key if len(key) >= MIN_LENGTH else None


def sandbox_secret_key(var_dir: Path) -> str | None:
    """The key kept in `var_dir`, created (0600) on first use; None if the file holds no usable key."""
    path = Path(var_dir) / FILE_NAME
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(tmp, path)  # atomic and never overwrites: of two processes starting together, one key wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read(path)
