"""Demo data for a newcomer: bound demo people and a member invite code per unit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from core.config import Settings
from models.org import Invite, Person, Unit
from services.demo import party as demo_party
from services.demo import sample_requests as demo_data
from services.joint import demo as joint_demo
from services.org import structure as org
from services.org import people

DEMO_NAMES = ["张书记", "李书记", "王书记", "赵书记", "刘书记", "陈书记", "杨书记", "黄书记", "周书记", "吴书记"]


def _person(session, openid: str, name: str, now: datetime, **fields) -> Person:
    person = people.get_or_create_person(session, openid, now=now)
    person.name = name
    for key, value in fields.items():
        setattr(person, key, value)
    person.bound_at = person.bound_at or now
    return person


def seed(session, settings: Settings, *, now: datetime, requests: bool = False, party: bool | None = None) -> dict:
    """Idempotent: demo office clerk, a secretary per branch, a member per unit, unit invite codes;
    with `requests`, also a month of requests for the console (services.demo_data); with `party`
    (default: as `requests`), rosters and two months of meetings (services/demo/party.py)."""
    invites = []
    for index, conf in enumerate(settings.consortia):
        cons = org.consortium_by_code(session, conf.code)
        sec_prefix = "demo-sec-" if index == 0 else f"demo-sec-{conf.code}-"  # openids unique across consortia
        _person(session, f"demo-office-{conf.code}", "党办小李", now, role="office", consortium_id=cons.id)
        for i, b in enumerate(conf.branches):
            branch = org.branch_by_code(session, cons.id, b.code)
            _person(session, f"{sec_prefix}{b.code}", DEMO_NAMES[i % len(DEMO_NAMES)], now, role="secretary",
                    consortium_id=cons.id, branch_id=branch.id, is_deputy=False)
        for u in conf.units:
            unit = session.scalar(select(Unit).where(Unit.code == u.code))
            _person(session, f"demo-member-{u.code}", f"{u.name[:2]}医生", now, role="member",
                    consortium_id=cons.id, unit_id=unit.id)
            invite = session.scalars(select(Invite).where(Invite.unit_id == unit.id, Invite.role == "member",
                                                          Invite.revoked.is_(False), Invite.expires_at > now)
                                     .order_by(Invite.id.desc())).first()
            if invite is None:
                invite = people.create_invite(session, role="member", consortium=cons, unit=unit, now=now,
                                              ttl_days=365)
            invites.append({"unit": u.code, "name": u.name, "code": invite.code})
    session.flush()
    added = sum(demo_data.seed_requests(session, org.consortium_by_code(session, c.code).id, now=now,
                                        tz=settings.tz) for c in settings.consortia) if requests else 0
    meetings = sum(demo_party.seed_party(session, org.consortium_by_code(session, c.code).id,
                                         "demo-pm-" if i == 0 else f"demo-pm-{c.code}-", now=now, tz=settings.tz)
                   for i, c in enumerate(settings.consortia)) if (requests if party is None else party) else 0
    if requests:
        joint_demo.seed(session, settings, now=now)  # a past 联席会议 with its 督办 items, unit contacts, plans
    demo_people = session.scalar(select(func.count(Person.id)).where(Person.openid.like("demo-%")))
    return {"people": demo_people, "invites": invites, "requests": added, "meetings": meetings}


def demo_invites(session, *, now: datetime) -> list[dict]:
    rows = session.scalars(select(Invite).where(Invite.role == "member", Invite.multi_use.is_(True),
                                                Invite.revoked.is_(False), Invite.expires_at > now)
                           .order_by(Invite.unit_id, Invite.id.desc())).all()
    seen, result = set(), []
    for inv in rows:
        if inv.unit_id not in seen:
            seen.add(inv.unit_id)
            result.append({"unit": inv.unit.code, "name": inv.unit.name, "code": inv.code})
    return result
