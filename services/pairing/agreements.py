"""Pairings (结对共建): agreements, 四个一 progress per pairing and year, needs lists (需求清单).

四个一: within a year each pairing does one thing for the unit (办实事; a 义诊 counts too),
holds one medical exchange (业务交流; training and lectures for the unit's staff count),
one joint party day (联合党日) and one survey of local medical needs (需求调查). The
targets per item come from the pairing's agreement (1 each by default).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from models.org import Branch, Consortium, Pairing, Unit
from models.pairing import FOUR_ITEMS, Activity, Need, PairingAgreement
from models.task import Task

ITEM_LABELS = {"deed": "办实事", "exchange": "业务交流", "party_day": "联合党日", "survey": "需求调查"}
KIND_LABELS = {"clinic": "义诊", "lecture": "讲座", "training": "培训", "exchange": "业务交流",
               "party_day": "联合党日", "survey": "需求调查", "deed": "办实事", "other": "其他"}
KIND_ITEM = {"deed": "deed", "clinic": "deed", "exchange": "exchange", "training": "exchange",
             "lecture": "exchange", "party_day": "party_day", "survey": "survey"}


class PairingError(Exception):
    """A refused pairing action; `code` picks the Chinese text, `info` fills it."""

    def __init__(self, code: str, **info):
        self.code, self.info = code, info
        super().__init__(code)


@dataclass
class PairingRow:
    """One pairing with its agreement and this year's 四个一 progress."""
    id: int
    consortium_id: int
    branch_id: int
    branch: str
    branch_code: str
    unit_id: int
    unit: str
    unit_code: str
    signed_on: date | None = None
    ends_on: date | None = None
    duties: list[str] = field(default_factory=list)
    targets: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    needs_open: int = 0

    def ok(self, item: str) -> bool:
        return self.done.get(item, 0) >= self.targets.get(item, 1)

    @property
    def missing(self) -> list[str]:
        return [item for item in FOUR_ITEMS if not self.ok(item)]

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict:
        return {"id": self.id, "branch": self.branch_code, "unit": self.unit_code,
                "signed_on": self.signed_on.isoformat() if self.signed_on else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None, "duties": self.duties,
                "items": {i: {"done": self.done.get(i, 0), "target": self.targets.get(i, 1), "ok": self.ok(i)}
                          for i in FOUR_ITEMS}, "complete": self.complete, "needs_open": self.needs_open}


def sync_agreements(session: Session, settings: Settings) -> int:
    """Create the agreements config.yaml describes for pairings that have none yet (the console edits
    them afterwards, so existing rows are never overwritten). Returns how many were created."""
    created = 0
    for conf in settings.consortia:
        for u in conf.units:
            for p in u.pairings:
                if not (p.signed_on or p.ends_on or p.duties or p.targets):
                    continue
                pairing = session.scalar(
                    select(Pairing).join(Unit, Pairing.unit_id == Unit.id).join(Branch, Pairing.branch_id == Branch.id)
                    .join(Consortium, Branch.consortium_id == Consortium.id)
                    .where(Unit.code == u.code, Branch.code == p.branch, Consortium.code == conf.code))
                if pairing is None or session.scalar(select(PairingAgreement.id).where(
                        PairingAgreement.pairing_id == pairing.id)) is not None:
                    continue
                session.add(PairingAgreement(pairing_id=pairing.id, signed_on=p.signed_on, ends_on=p.ends_on,
                                             duties=list(p.duties), targets=dict(p.targets), updated_at=None))
                created += 1
    session.flush()
    return created


def _done_counts(session: Session, pairing_ids: list[int], year: int) -> dict[int, dict[str, int]]:
    done: dict[int, dict[str, int]] = {pid: {} for pid in pairing_ids}
    if not pairing_ids:
        return done
    rows = session.execute(select(Activity.pairing_id, Activity.kind, func.count(Activity.id))
                           .where(Activity.pairing_id.in_(pairing_ids), Activity.held_on >= date(year, 1, 1),
                                  Activity.held_on <= date(year, 12, 31))
                           .group_by(Activity.pairing_id, Activity.kind))
    for pid, kind, n in rows:
        item = KIND_ITEM.get(kind)
        if item:
            done[pid][item] = done[pid].get(item, 0) + n
    return done


def pairing_rows(session: Session, year: int, *, consortium_id: int | None = None,
                 branch_id: int | None = None) -> list[PairingRow]:
    """Pairings (of a consortium, or a branch) with agreement and 四个一 progress in `year`."""
    query = (select(Pairing, PairingAgreement).join(Branch, Pairing.branch_id == Branch.id)
             .outerjoin(PairingAgreement, PairingAgreement.pairing_id == Pairing.id)
             .order_by(Branch.consortium_id, Pairing.unit_id, Branch.id))
    if consortium_id is not None:
        query = query.where(Branch.consortium_id == consortium_id)
    if branch_id is not None:
        query = query.where(Pairing.branch_id == branch_id)
    pairs = session.execute(query).all()
    ids = [p.id for p, _ in pairs]
    done = _done_counts(session, ids, year)
    needs = dict(session.execute(select(Need.pairing_id, func.count(Need.id)).where(
        Need.pairing_id.in_(ids), Need.status == "open").group_by(Need.pairing_id)).all()) if ids else {}
    rows = []
    for p, agr in pairs:
        rows.append(PairingRow(
            id=p.id, consortium_id=p.branch.consortium_id, branch_id=p.branch_id, branch=p.branch.name,
            branch_code=p.branch.code, unit_id=p.unit_id, unit=p.unit.name, unit_code=p.unit.code,
            signed_on=agr.signed_on if agr else None, ends_on=agr.ends_on if agr else None,
            duties=list(agr.duties or []) if agr else [],
            targets={i: agr.target(i) if agr else 1 for i in FOUR_ITEMS}, done=done[p.id],
            needs_open=needs.get(p.id, 0)))
    return rows


def completion(rows: list[PairingRow]) -> dict:
    """Pairings complete / total and per item how many pairings have it done."""
    return {"pairings": len(rows), "complete": sum(r.complete for r in rows),
            "items": {i: sum(r.ok(i) for r in rows) for i in FOUR_ITEMS},
            "rate": round(100 * sum(r.complete for r in rows) / len(rows)) if rows else 0}


def incomplete_by_branch(session: Session, year: int) -> dict[int, list[PairingRow]]:
    """Branch id -> its pairings still missing 四个一 items in `year` (all consortia)."""
    result: dict[int, list[PairingRow]] = {}
    for row in pairing_rows(session, year):
        if not row.complete:
            result.setdefault(row.branch_id, []).append(row)
    return result


def missing_text(rows: list[PairingRow]) -> str:
    return "；".join(f"{r.unit}（缺{'、'.join(ITEM_LABELS[i] for i in r.missing)}）" for r in rows)


def get_pairing(session: Session, pairing_id: int, consortium_id: int | None) -> Pairing:
    pairing = session.get(Pairing, pairing_id)
    if pairing is None or (consortium_id is not None and pairing.branch.consortium_id != consortium_id):
        raise PairingError("not_found", id=pairing_id)
    return pairing


def update_agreement(session: Session, pairing: Pairing, *, signed_on: date | None, ends_on: date | None,
                     duties: list[str], targets: dict[str, int], now: datetime) -> PairingAgreement:
    """The console's edit of a pairing's agreement."""
    if signed_on and ends_on and ends_on < signed_on:
        raise PairingError("bad_dates")
    for item, value in targets.items():
        if item not in FOUR_ITEMS or not 0 <= value <= 12:
            raise PairingError("bad_target", item=item)
    agr = session.scalar(select(PairingAgreement).where(PairingAgreement.pairing_id == pairing.id))
    if agr is None:
        agr = PairingAgreement(pairing_id=pairing.id)
        session.add(agr)
    agr.signed_on, agr.ends_on, agr.duties = signed_on, ends_on, [d.strip() for d in duties if d.strip()]
    agr.targets, agr.updated_at = dict(targets), now
    session.flush()
    return agr


# --- needs list (需求清单) ---------------------------------------------------------

def mark_need(session: Session, task: Task, *, branch: Branch | None = None, marked_by: str,
              now: datetime) -> Need:
    """Mark a unit's request as a need for its paired branch (`branch`, else the task's branch if paired,
    else the unit's first pairing). Marking twice keeps one row."""
    if task.unit_id is None:
        raise PairingError("no_unit", number=task.number)
    pairs = session.scalars(select(Pairing).where(Pairing.unit_id == task.unit_id).order_by(Pairing.id)).all()
    if not pairs:
        raise PairingError("not_paired", number=task.number, unit=task.unit.name)
    wanted = branch.id if branch is not None else task.branch_id
    chosen = next((p for p in pairs if p.branch_id == wanted), None)
    if chosen is None and branch is not None:
        raise PairingError("branch_not_paired", branch=branch.name, unit=task.unit.name)
    chosen = chosen or pairs[0]
    need = session.scalar(select(Need).where(Need.task_id == task.id))
    if need is None:
        need = Need(consortium_id=task.consortium_id, task_id=task.id, text=task.text, created_at=now)
        session.add(need)
    need.pairing_id, need.marked_by, need.status = chosen.id, marked_by[:64], "open"
    session.flush()
    return need


def needs_of(session: Session, consortium_id: int, *, branch_id: int | None = None) -> list[tuple[Need, Task | None]]:
    query = (select(Need, Task).outerjoin(Task, Need.task_id == Task.id).join(Pairing, Need.pairing_id == Pairing.id)
             .where(Need.consortium_id == consortium_id).order_by(Need.pairing_id, Need.id))
    if branch_id is not None:
        query = query.where(Pairing.branch_id == branch_id)
    return [(n, t) for n, t in session.execute(query).all()]


def set_need_status(session: Session, need_id: int, consortium_id: int, status: str) -> Need:
    need = session.get(Need, need_id)
    if need is None or need.consortium_id != consortium_id or status not in ("open", "done"):
        raise PairingError("not_found", id=need_id)
    need.status = status
    session.flush()
    return need
