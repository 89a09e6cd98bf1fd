"""Which consortium a console account sees: office/viewer accounts their own (default: the first);
bureau (卫健局) accounts any of them, chosen with `?consortium=code`, and the bureau view of all."""
from __future__ import annotations

from flask import abort, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from models.admin import AdminAccount
from models.org import Consortium, Person
from services.org import structure as org


def resolve(db: Session, settings: Settings, account: AdminAccount, requested: str | None) -> Consortium:
    """The consortium the request is about (never another one for an office/viewer account)."""
    rows = db.scalars(select(Consortium).order_by(Consortium.id)).all()
    if not rows:
        org.sync_org(db, settings)
        db.commit()
        rows = db.scalars(select(Consortium).order_by(Consortium.id)).all()
    if account.role == "bureau":
        return next((c for c in rows if c.code == requested), rows[0])
    return next((c for c in rows if c.id == account.consortium_id), rows[0])


def consortia() -> list[Consortium]:
    """Every consortium for a bureau account, else only the account's own."""
    if g.admin.role == "bureau":
        return list(g.db.scalars(select(Consortium).order_by(Consortium.id)))
    return [g.consortium]


def require_bureau() -> None:
    if g.admin.role != "bureau":
        abort(403, description="仅卫健局账号可查看")


def openids_of_consortium(db: Session, consortium_id: int) -> set[str]:
    return set(db.scalars(select(Person.openid).where(Person.consortium_id == consortium_id)))
