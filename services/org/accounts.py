"""Console accounts: create, authenticate under login limits, change password, disable, look up.

Login limits (all over the last WINDOW of checked failures):
- one username from one address: PAIR_LIMIT failures lock that pair (the real user elsewhere is not locked);
- one address, any usernames: ADDRESS_LIMIT failures lock the address (password spraying);
- one username, any address: after USER_FREE failures every further try waits a delay that doubles with
  each failure (1 s, 2 s, 4 s ... MAX_DELAY). An address the username logged in from within TRUSTED_FOR
  skips that delay, so an attacker elsewhere cannot keep the office out.
An attempt is recorded (as a checked failure) and committed before the limits are read, so concurrent
attempts count each other: of N simultaneous wrong tries at most the limit are checked.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from core.passwords import hash_password, verify_password

from models.admin import ADMIN_ROLES, AdminAccount, LoginAttempt

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
ADDRESS_LIMIT = 20
USER_FREE = 5
MAX_DELAY = 120  # seconds
TRUSTED_FOR = timedelta(days=30)
MIN_PASSWORD = 10
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
_DUMMY_HASH = hash_password("tongxin-timing-equaliser")
_COMMON: set[str] = set()


class AccountError(Exception):
    """Creating or changing an account refused; the message says why (English, for the CLI)."""


class LoginError(Exception):
    """Login refused: `reason` is "invalid" (wrong name/password), "locked" (this address failed too
    often) or "throttled" (the username failed often: try again after `retry_after` seconds)."""

    def __init__(self, reason: str, retry_after: int = 0):
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


def password_problem(password: str) -> str | None:
    """Why `password` may not be used, or None."""
    if len(password) < MIN_PASSWORD:
        return f"password must have at least {MIN_PASSWORD} characters"
    if not _COMMON:
        _COMMON.update(line.strip().lower() for line in COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
                       if line.strip() and not line.startswith("#"))
    if password.strip().lower() in _COMMON:
        return "password is on the list of common passwords (services/org/common_passwords.txt); choose another"
    return None


def create_account(session: Session, username: str, password: str, *, role: str = "office",
                   now: datetime, consortium_id: int | None = None) -> AdminAccount:
    """A new console account; the password is stored as a salted scrypt hash."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("username must be 1..64 characters")
    if role not in ADMIN_ROLES:
        raise AccountError(f"role must be one of {', '.join(ADMIN_ROLES)}")
    if problem := password_problem(password):
        raise AccountError(problem)
    if session.scalar(select(AdminAccount.id).where(AdminAccount.username == username)) is not None:
        raise AccountError(f"account {username!r} exists already")
    account = AdminAccount(username=username, role=role, created_at=now, consortium_id=consortium_id,
                           password_hash=hash_password(password))
    session.add(account)
    session.flush()
    return account


def find_account(session: Session, username: str) -> AdminAccount:
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username.strip()))
    if account is None:
        raise AccountError(f"no account {username!r}")
    return account


def set_password(session: Session, username: str, password: str) -> AdminAccount:
    """A new password; every session of the account ends."""
    if problem := password_problem(password):
        raise AccountError(problem)
    account = find_account(session, username)
    account.password_hash = hash_password(password)
    end_sessions(session, account)
    return account


def disable_account(session: Session, username: str) -> AdminAccount:
    """The account can no longer log in, and its open sessions stop working at once."""
    account = find_account(session, username)
    account.disabled = True
    end_sessions(session, account)
    return account


def end_sessions(session: Session, account: AdminAccount) -> None:
    """Invalidate every session cookie issued to `account` so far (logout, password change, disable)."""
    account.session_version = (account.session_version or 0) + 1
    session.flush()


def begin_attempt(session: Session, username: str, ip: str, *, now: datetime) -> LoginAttempt:
    """Record an attempt as a checked failure before checking anything; the caller commits it."""
    attempt = LoginAttempt(username=username.strip()[:64], ip=ip[:64], ok=False, checked=True, created_at=now)
    session.add(attempt)
    session.flush()
    return attempt


def finish_attempt(session: Session, attempt: LoginAttempt, password: str, *, now: datetime) -> AdminAccount:
    """Apply the limits (counting every other recorded attempt), then check the password. Raises LoginError."""
    refusal = _refusal(session, attempt, now)
    if refusal is not None:
        attempt.checked = False
        session.flush()
        raise refusal
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == attempt.username))
    ok = verify_password(account.password_hash if account else _DUMMY_HASH, password)
    if not (ok and account is not None and not account.disabled):
        raise LoginError("invalid")
    attempt.ok = True
    account.last_login_at = now
    session.flush()
    return account


def authenticate(session: Session, username: str, password: str, ip: str, *, now: datetime) -> AdminAccount:
    """Both steps in one transaction (CLI and tests; the console commits between them)."""
    return finish_attempt(session, begin_attempt(session, username, ip, now=now), password, now=now)


def _failures(attempt: LoginAttempt, now: datetime):
    return (LoginAttempt.ok.is_(False), LoginAttempt.checked.is_(True), LoginAttempt.id != attempt.id,
            LoginAttempt.created_at > now - WINDOW)


def _refusal(session: Session, attempt: LoginAttempt, now: datetime) -> LoginError | None:
    failed = _failures(attempt, now)
    by_ip = LoginAttempt.ip == attempt.ip
    by_user = LoginAttempt.username == attempt.username
    if session.scalar(select(func.count(LoginAttempt.id)).where(*failed, by_ip, by_user)) >= PAIR_LIMIT:
        return LoginError("locked")
    if session.scalar(select(func.count(LoginAttempt.id)).where(*failed, by_ip)) >= ADDRESS_LIMIT:
        return LoginError("locked")
    trusted = session.scalar(select(LoginAttempt.id).where(by_ip, by_user, LoginAttempt.ok.is_(True),
                                                           LoginAttempt.created_at > now - TRUSTED_FOR).limit(1))
    if trusted is not None:
        return None
    count = session.scalar(select(func.count(LoginAttempt.id)).where(*failed, by_user))
    if count < USER_FREE:
        return None
    last = session.scalar(select(LoginAttempt.created_at).where(*failed, by_user)
                          .order_by(LoginAttempt.created_at.desc()).limit(1))
    wait = (last + timedelta(seconds=min(2 ** (count - USER_FREE), MAX_DELAY)) - now).total_seconds()
    return LoginError("throttled", retry_after=math.ceil(wait)) if wait > 0 else None


def get_account(session: Session, account_id: int | None) -> AdminAccount | None:
    if account_id is None:
        return None
    account = session.get(AdminAccount, account_id)
    return account if account is not None and not account.disabled else None


def list_accounts(session: Session) -> list[AdminAccount]:
    return list(session.scalars(select(AdminAccount).order_by(AdminAccount.id)).all())
