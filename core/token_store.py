"""One WeChat access token shared by every process: a database row, or Redis when REDIS_URL is set.

Each process keeps the token in memory and goes to the shared store only when the
copy is about to expire (`margin` seconds early) or the API rejected it. Refreshing
happens under a lock (PostgreSQL advisory lock, SQLite write lock, Redis SET NX), and
whoever gets the lock first re-reads the store: a token another process already
refreshed is used as is, so processes never fetch over each other.
"""
from __future__ import annotations

import json
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Engine, text

Fetch = Callable[[bool], tuple[str, int]]  # force_refresh -> (token, expires_in seconds)
TABLE = "wechat_tokens"  # defined for create_all in models/delivery.py (WeChatToken)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # unix seconds


class TokenStore:
    """Process cache in front of a shared record; subclasses supply the record and the lock."""

    def __init__(self, appid: str, *, margin: float = 300.0, clock: Callable[[], float] = time.time):
        self.appid = appid
        self.margin = margin
        self.clock = clock
        self._cached: Token | None = None
        self._local = threading.Lock()

    def _fresh(self, token: Token | None, stale: str | None = None) -> bool:
        return (token is not None and bool(token.value) and token.value != stale
                and token.expires_at - self.clock() > self.margin)

    def get(self, fetch: Fetch) -> str:
        """A valid token: the process copy, the shared one, or a new one fetched under the lock."""
        if self._fresh(self._cached):
            return self._cached.value
        with self._local:
            if not self._fresh(self._cached):
                shared = self._read()
                self._cached = shared if self._fresh(shared) else self._refresh(fetch, None)
            return self._cached.value

    def refresh(self, fetch: Fetch, stale: str | None) -> str:
        """The API refused `stale` (40001/42001): replace it once, unless another process already did."""
        with self._local:
            if self._fresh(self._cached, stale):
                return self._cached.value
            self._cached = self._refresh(fetch, stale)
            return self._cached.value

    def _refresh(self, fetch: Fetch, stale: str | None) -> Token:
        def under_lock(current: Token | None) -> Token | None:
            if self._fresh(current, stale):
                return None  # someone refreshed while we waited for the lock
            value, expires_in = fetch(False)
            if value == stale:  # the stable token itself is bad: ask for a new one, once
                value, expires_in = fetch(True)
            return Token(value, self.clock() + int(expires_in))
        return self._locked(under_lock)

    # -- subclass hooks --------------------------------------------------------
    def _read(self) -> Token | None:
        raise NotImplementedError

    def _locked(self, update: Callable[[Token | None], Token | None]) -> Token:
        """Take the shared lock, read, call `update`; store and return its token (or the current one)."""
        raise NotImplementedError


class MemoryTokenStore(TokenStore):
    """Single-process store (tests, one-off CLI calls)."""

    def __init__(self, appid: str, **kwargs: Any):
        super().__init__(appid, **kwargs)
        self._token: Token | None = None
        self._lock = threading.Lock()

    def _read(self) -> Token | None:
        return self._token

    def _locked(self, update):
        with self._lock:
            new = update(self._token)
            if new is not None:
                self._token = new
            return self._token


class SqlTokenStore(TokenStore):
    """The token row in `wechat_tokens`; PostgreSQL advisory lock or SQLite's write lock."""

    def __init__(self, appid: str, engine: Engine, **kwargs: Any):
        super().__init__(appid, **kwargs)
        self.engine = engine

    def _read(self) -> Token | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT token, expires_at FROM {TABLE} WHERE appid = :a"),
                               {"a": self.appid}).first()
        return Token(row[0], float(row[1])) if row else None

    def _locked(self, update):
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                             {"k": zlib.crc32(f"tongxin-token:{self.appid}".encode())})
            else:  # any write takes SQLite's database lock until commit
                conn.execute(text(f"INSERT OR IGNORE INTO {TABLE} (appid, token, expires_at, updated_at) "
                                  "VALUES (:a, '', 0, 0)"), {"a": self.appid})
            row = conn.execute(text(f"SELECT token, expires_at FROM {TABLE} WHERE appid = :a"),
                               {"a": self.appid}).first()
            current = Token(row[0], float(row[1])) if row else None
            new = update(current)
            if new is not None:
                self._write(conn, new, exists=row is not None)
                current = new
            conn.commit()
        return current

    def _write(self, conn, token: Token, *, exists: bool) -> None:
        params = {"a": self.appid, "t": token.value, "e": int(token.expires_at), "u": int(self.clock())}
        if exists:
            conn.execute(text(f"UPDATE {TABLE} SET token = :t, expires_at = :e, updated_at = :u "
                              "WHERE appid = :a"), params)
        else:
            conn.execute(text(f"INSERT INTO {TABLE} (appid, token, expires_at, updated_at) "
                              "VALUES (:a, :t, :e, :u)"), params)


class RedisTokenStore(TokenStore):
    """The token as JSON under one key; refresh under a SET NX lock (redis-py Lock)."""

    def __init__(self, appid: str, redis_client: Any, *, lock_timeout: float = 15.0, **kwargs: Any):
        super().__init__(appid, **kwargs)
        self.redis = redis_client
        self.key = f"tongxin:wechat_token:{appid}"
        self.lock_timeout = lock_timeout

    def _read(self) -> Token | None:
        raw = self.redis.get(self.key)
        if not raw:
            return None
        data = json.loads(raw)
        return Token(data["token"], float(data["expires_at"]))

    def _locked(self, update):
        lock = self.redis.lock(self.key + ":lock", timeout=self.lock_timeout,
                               blocking_timeout=self.lock_timeout, sleep=0.02)
        if not lock.acquire():
            raise TimeoutError(f"could not lock the WeChat token within {self.lock_timeout} s")
        try:
            current = self._read()
            new = update(current)
            if new is not None:
                ttl = max(1, int(new.expires_at - self.clock()))
                self.redis.set(self.key, json.dumps({"token": new.value, "expires_at": new.expires_at}), ex=ttl)
                current = new
            return current
        finally:
            lock.release()


def make_token_store(appid: str, *, engine: Engine | None = None, redis_url: str | None = None,
                     **kwargs: Any) -> TokenStore:
    """Redis when `redis_url` is set, else the database row of `engine`, else process memory."""
    if redis_url:
        import redis
        return RedisTokenStore(appid, redis.Redis.from_url(redis_url), **kwargs)
    if engine is not None:
        return SqlTokenStore(appid, engine, **kwargs)
    return MemoryTokenStore(appid, **kwargs)
