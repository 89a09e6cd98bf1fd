"""Console accounts: create, authenticate with a rate limit on failures, look up."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models.admin import ADMIN_ROLES, AdminAccount, LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
_DUMMY_HASH = generate_password_hash("tongxin-timing-equaliser", method="scrypt")


class AccountError(Exception):
    """Creating an account refused; the message says why (English, for the CLI)."""


class LoginError(Exception):
    """Login refused: `reason` is "invalid" (wrong name/password) or "locked" (too many failures)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def create_account(session: Session, username: str, password: str, *, role: str = "office",
                   now: datetime, consortium_id: int | None = None) -> AdminAccount:
    """A new console account; the password is stored as a salted scrypt hash."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("username must be 1..64 characters")
    if role not in ADMIN_ROLES:
        raise AccountError(f"role must be one of {', '.join(ADMIN_ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(AdminAccount.id).where(AdminAccount.username == username)) is not None:
        raise AccountError(f"account {username!r} exists already")
    account = AdminAccount(username=username, role=role, created_at=now, consortium_id=consortium_id,
                           password_hash=generate_password_hash(password, method="scrypt"))
    session.add(account)
    session.flush()
    return account


def failures(session: Session, *, username: str | None = None, ip: str | None = None,
             now: datetime) -> int:
    """Failed attempts within the window for a username or an IP."""
    query = select(func.count(LoginAttempt.id)).where(LoginAttempt.ok.is_(False),
                                                      LoginAttempt.created_at > now - WINDOW)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return session.scalar(query) or 0


def is_locked(session: Session, username: str, ip: str, *, now: datetime) -> bool:
    return (failures(session, username=username, now=now) >= MAX_FAILURES
            or failures(session, ip=ip, now=now) >= MAX_FAILURES)


def authenticate(session: Session, username: str, password: str, ip: str, *, now: datetime) -> AdminAccount:
    """The account for these credentials; every attempt is recorded. Raises LoginError."""
    username = username.strip()[:64]
    ip = ip[:64]
    if is_locked(session, username, ip, now=now):
        raise LoginError("locked")
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username))
    ok = check_password_hash(account.password_hash if account else _DUMMY_HASH, password)
    ok = ok and account is not None and not account.disabled
    session.add(LoginAttempt(username=username, ip=ip, ok=ok, created_at=now))
    if not ok:
        session.flush()
        raise LoginError("invalid")
    account.last_login_at = now
    session.flush()
    return account


def get_account(session: Session, account_id: int | None) -> AdminAccount | None:
    if account_id is None:
        return None
    account = session.get(AdminAccount, account_id)
    return account if account is not None and not account.disabled else None


def list_accounts(session: Session) -> list[AdminAccount]:
    return list(session.scalars(select(AdminAccount).order_by(AdminAccount.id)).all())
