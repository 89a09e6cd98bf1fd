"""Organisation: load consortia, branches, units and pairings from settings; look them up."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from models.org import Branch, Consortium, Pairing, Person, Unit


def sync_org(session: Session, settings: Settings) -> dict[str, int]:
    """Upsert every consortium, branch, unit and pairing of the config. Idempotent."""
    counts = {"consortia": 0, "branches": 0, "units": 0, "pairings": 0}
    for conf in settings.consortia:
        cons = session.scalar(select(Consortium).where(Consortium.code == conf.code))
        if cons is None:
            cons = Consortium(code=conf.code)
            session.add(cons)
        cons.name, cons.lead_hospital, cons.office_name = conf.name, conf.lead_hospital, conf.office_name
        session.flush()
        counts["consortia"] += 1
        branches = {}
        for b in conf.branches:
            row = session.scalar(select(Branch).where(Branch.consortium_id == cons.id, Branch.code == b.code))
            if row is None:
                row = Branch(consortium_id=cons.id, code=b.code)
                session.add(row)
            row.name, row.aliases = b.name, list(b.aliases)
            branches[b.code] = row
            counts["branches"] += 1
        session.flush()
        for u in conf.units:
            unit = session.scalar(select(Unit).where(Unit.code == u.code))
            if unit is None:
                unit = Unit(code=u.code, consortium_id=cons.id)
                session.add(unit)
            unit.name, unit.kind, unit.consortium_id = u.name, u.kind, cons.id
            session.flush()
            counts["units"] += 1
            for code in u.paired_branches:
                branch = branches[code]
                exists = session.scalar(select(Pairing).where(Pairing.branch_id == branch.id,
                                                              Pairing.unit_id == unit.id))
                if exists is None:
                    session.add(Pairing(branch_id=branch.id, unit_id=unit.id))
                counts["pairings"] += 1
    session.flush()
    from services.pairing.agreements import sync_agreements  # agreements of config.yaml, first install only
    sync_agreements(session, settings)
    return counts


def consortium_by_code(session: Session, code: str | None) -> Consortium | None:
    query = select(Consortium).order_by(Consortium.id)
    if code:
        query = query.where(Consortium.code == code)
    return session.scalars(query).first()


def find_branch(session: Session, consortium_id: int, name: str) -> Branch | None:
    """A branch by code, full Chinese name or a short form such as 眼科."""
    key = name.strip().lower()
    if not key:
        return None
    branches = session.scalars(select(Branch).where(Branch.consortium_id == consortium_id)).all()
    for b in branches:
        if key in (b.code, b.name) or key in (b.aliases or []):
            return b
    for b in branches:
        if key + "党支部" == b.name or key + "支部" == b.name:
            return b
    return None


def branch_by_code(session: Session, consortium_id: int, code: str) -> Branch | None:
    return session.scalar(select(Branch).where(Branch.consortium_id == consortium_id, Branch.code == code))


def find_unit(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def branch_staff(session: Session, branch_id: int) -> list[Person]:
    """Secretary first, then deputies."""
    rows = session.scalars(select(Person).where(Person.branch_id == branch_id, Person.role == "secretary")
                           .order_by(Person.is_deputy, Person.id)).all()
    return list(rows)


def office_staff(session: Session, consortium_id: int) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.consortium_id == consortium_id,
                                                     Person.role.in_(("office", "admin")))
                                .order_by(Person.id)).all())


def paired_branches(session: Session, unit_id: int) -> list[Branch]:
    return [p.branch for p in session.scalars(select(Pairing).where(Pairing.unit_id == unit_id)
                                              .order_by(Pairing.id)).all()]


def list_units(session: Session) -> list[dict]:
    result = []
    for unit in session.scalars(select(Unit).order_by(Unit.id)).all():
        result.append({"code": unit.code, "name": unit.name, "kind": unit.kind,
                       "consortium": unit.consortium.code,
                       "paired_branches": [b.code for b in paired_branches(session, unit.id)]})
    return result


def list_branches(session: Session) -> list[dict]:
    result = []
    for b in session.scalars(select(Branch).order_by(Branch.consortium_id, Branch.id)).all():
        staff = branch_staff(session, b.id)
        result.append({"code": b.code, "name": b.name, "consortium": b.consortium.code,
                       "aliases": list(b.aliases or []),
                       "secretary": next(({"openid": p.openid, "name": p.name} for p in staff if not p.is_deputy), None),
                       "deputies": [{"openid": p.openid, "name": p.name} for p in staff if p.is_deputy]})
    return result
