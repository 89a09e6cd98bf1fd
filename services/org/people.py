"""People and invite codes: who someone is, and how they become it."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import event, func, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.org import BindFailure, Branch, Consortium, Invite, Person, Unit
from services.menu import tags
from services.org.identity import bump_version

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
BIND_GUESSES = 10  # wrong codes per openid ...
BIND_WINDOW = timedelta(hours=1)  # ... within this window; then 绑定 is refused until the oldest one ages out
IDENTITY_FIELDS = ("role", "consortium_id", "unit_id", "branch_id")  # what the fast lane's cache holds


def _identity_changed(person: Person) -> bool:
    state = inspect(person)
    return any(state.attrs[name].history.has_changes() for name in IDENTITY_FIELDS)


@event.listens_for(Session, "before_flush")
def _invalidate_identity_caches(session: Session, _context, _instances) -> None:
    """Bind, unbind, a role change anywhere (chat, console, CLI, seeding): bump the identity version.

    A fast-lane message planned on an older version is not stored but planned again (services.org.identity),
    so the change counts in every process as soon as this transaction commits.
    """
    changed = any(isinstance(o, Person) and o.role is not None for o in session.new) or \
        any(isinstance(o, Person) for o in session.deleted) or \
        any(isinstance(o, Person) and _identity_changed(o) for o in session.dirty)
    if changed:
        bump_version(session)


class BindError(Exception):
    """Binding refused; `reason` is one of: unknown, expired, used, revoked, throttled (`info`: minutes)."""

    def __init__(self, reason: str, **info):
        self.reason = reason
        self.info = info
        super().__init__(reason)


class InviteError(Exception):
    pass


def get_or_create_person(session: Session, openid: str, *, now: datetime) -> Person:
    person = session.scalar(select(Person).where(Person.openid == openid))
    if person is not None:
        return person
    try:
        with session.begin_nested():
            person = Person(openid=openid, created_at=now)
            session.add(person)
    except IntegrityError:  # created concurrently by another request
        person = session.scalar(select(Person).where(Person.openid == openid))
    return person


def create_invite(session: Session, *, role: str, consortium: Consortium, now: datetime, ttl_days: int,
                  branch: Branch | None = None, unit: Unit | None = None, deputy: bool = False) -> Invite:
    """An invite code; secretary and party_member need a branch, member a unit.
    Member and party_member (a branch's roster code, matched by name) codes are multi-use."""
    if role == "secretary" and branch is None:
        raise InviteError("--branch is required for --role secretary")
    if role == "member" and unit is None:
        raise InviteError("--unit is required for --role member")
    if role == "party_member" and branch is None:
        raise InviteError("--branch is required for --role party_member")
    if role not in ("member", "secretary", "office", "admin", "party_member"):
        raise InviteError(f"unknown role {role!r}")
    for _ in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if session.scalar(select(Invite.id).where(Invite.code == code)) is None:
            break
    invite = Invite(code=code, role=role, consortium_id=consortium.id,
                    branch_id=branch.id if branch else None, unit_id=unit.id if unit else None,
                    is_deputy=deputy and role == "secretary", multi_use=role in ("member", "party_member"),
                    created_at=now, expires_at=now + timedelta(days=ttl_days))
    session.add(invite)
    session.flush()
    return invite


def invite_open(invite: Invite, now: datetime) -> bool:
    """Still able to bind someone: not revoked, not expired, and (single-use) not used yet."""
    return not invite.revoked and invite.expires_at > now and (invite.multi_use or invite.uses == 0)


def open_invites(session: Session, consortium_id: int, roles: tuple[str, ...], *, now: datetime,
                 limit: int = 100) -> list[Invite]:
    """A consortium's invites of `roles` that can still bind someone, newest first."""
    return list(session.scalars(
        select(Invite).where(Invite.consortium_id == consortium_id, Invite.role.in_(roles),
                             Invite.revoked.is_(False), Invite.expires_at > now,
                             or_(Invite.multi_use.is_(True), Invite.uses == 0))
        .order_by(Invite.id.desc()).limit(limit)))


def revoke_invite(session: Session, code: str) -> Invite:
    """The code stops binding at once (bind reads `revoked` on every attempt)."""
    invite = session.scalar(select(Invite).where(Invite.code == code.strip().upper()))
    if invite is None:
        raise InviteError(f"unknown invite code {code!r}")
    invite.revoked = True
    session.flush()
    return invite


def bind(session: Session, person: Person, code: str, *, now: datetime, sandbox: bool = False) -> Person:
    """Give `person` the invite's role (and queue the user tag of its menu); a wrong code is recorded,
    and after BIND_GUESSES of them within BIND_WINDOW every try is refused ("throttled") without
    looking at the code."""
    code = code.strip().upper()
    session.execute(select(Person.id).where(Person.id == person.id).with_for_update())  # one try at a time
    recent = session.execute(select(func.count(BindFailure.id), func.min(BindFailure.created_at))
                             .where(BindFailure.openid == person.openid,
                                    BindFailure.created_at > now - BIND_WINDOW)).one()
    if recent[0] >= BIND_GUESSES:
        wait = recent[1] + BIND_WINDOW - now
        raise BindError("throttled", minutes=max(1, -(-int(wait.total_seconds()) // 60)))
    old_role = person.role
    try:
        bound = _bind(session, person, code, now=now)
    except BindError as exc:
        session.add(BindFailure(openid=person.openid, code=code[:64], reason=exc.reason, created_at=now))
        session.flush()
        raise
    tags.enqueue_retag(session, bound.openid, old_role, bound.role, now=now, sandbox=sandbox)
    return bound


def _bind(session: Session, person: Person, code: str, *, now: datetime) -> Person:
    """Single-use codes are consumed atomically."""
    invite = session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        raise BindError("unknown")
    if invite.revoked:
        raise BindError("revoked")
    if invite.expires_at <= now:
        raise BindError("expired")
    query = update(Invite).where(Invite.id == invite.id).values(uses=Invite.uses + 1)
    if not invite.multi_use:
        query = query.where(Invite.uses == 0)
    if session.execute(query).rowcount != 1:
        raise BindError("used")
    if invite.role == "secretary" and not invite.is_deputy:
        # one secretary per branch: the previous one stays on as a deputy
        session.execute(update(Person).where(Person.branch_id == invite.branch_id, Person.role == "secretary",
                                             Person.is_deputy.is_(False), Person.id != person.id)
                        .values(is_deputy=True))
    person.role = invite.role
    person.consortium_id = invite.consortium_id
    person.branch_id = invite.branch_id
    person.unit_id = invite.unit_id
    person.is_deputy = invite.is_deputy
    person.bound_at = now
    session.flush()
    session.refresh(person)
    return person


def unbind(session: Session, person: Person, *, now: datetime, sandbox: bool = False) -> None:
    """Back to a stranger: the role's user tag is taken off (the default menu shows again)."""
    tags.enqueue_retag(session, person.openid, person.role, None, now=now, sandbox=sandbox)
    person.role = None
    person.branch_id = person.unit_id = None
    person.is_deputy = False
    person.bound_at = None
    session.flush()


def set_name(session: Session, person: Person, name: str) -> None:
    person.name = name.strip()[:32]
    session.flush()


def list_people(session: Session) -> list[dict]:
    rows = session.scalars(select(Person).order_by(Person.id)).all()
    return [{"openid": p.openid, "name": p.name, "role": p.role,
             "branch": p.branch.code if p.branch else None, "unit": p.unit.code if p.unit else None,
             "deputy": p.is_deputy, "bound_at": p.bound_at.isoformat() if p.bound_at else None}
            for p in rows]
