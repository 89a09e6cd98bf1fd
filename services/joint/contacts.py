"""成员单位联络人: one contact person per member unit (set in the console)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.joint import UnitContact
from models.org import Person, Unit


def contact_of(session: Session, unit_id: int) -> Person | None:
    row = session.scalar(select(UnitContact).where(UnitContact.unit_id == unit_id))
    return row.person if row else None


def contacts(session: Session, consortium_id: int) -> dict[int, Person]:
    """unit id -> its contact, for one consortium."""
    rows = session.scalars(select(UnitContact).join(Unit, Unit.id == UnitContact.unit_id)
                           .where(Unit.consortium_id == consortium_id)).all()
    return {r.unit_id: r.person for r in rows}


def units_of(session: Session, person: Person) -> list[Unit]:
    """The units this person speaks for."""
    return [r.unit for r in session.scalars(select(UnitContact).where(UnitContact.person_id == person.id)
                                            .order_by(UnitContact.unit_id))]


def set_contact(session: Session, unit: Unit, person: Person | None, *, now: datetime) -> None:
    """Make `person` the unit's contact (None: nobody). The person must belong to the same consortium."""
    row = session.scalar(select(UnitContact).where(UnitContact.unit_id == unit.id))
    if person is None:
        if row is not None:
            session.delete(row)
        session.flush()
        return
    if person.consortium_id != unit.consortium_id:
        raise ValueError("contact from another consortium")
    if row is None:
        session.add(UnitContact(unit_id=unit.id, person_id=person.id, set_at=now))
    else:
        row.person_id, row.set_at = person.id, now
    session.flush()
