"""The party-member roster (党员名册): import from xlsx (idempotent, all or nothing), template,
list, edit, move between branches, archive; binding a WeChat user to their roster entry by name."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Branch, Consortium, Person
from models.party import PartyMember
from services.org import structure as org
from services.shared.spreadsheets import Column, SheetError, parse_sheet, write_workbook

HEADERS = ("支部", "姓名", "身份", "职务", "党小组", "手机号")
STATUS_WORDS = {"正式党员": "full", "正式": "full", "预备党员": "probationary", "预备": "probationary"}
DUTY_WORDS = {"书记": "secretary", "支部书记": "secretary", "副书记": "deputy", "委员": "committee",
              "支部委员": "committee", "组织委员": "committee", "宣传委员": "committee", "纪检委员": "committee",
              "党员": "member", "": "member"}
STATUS_LABELS = {"full": "正式党员", "probationary": "预备党员"}
DUTY_LABELS = {"secretary": "书记", "deputy": "副书记", "committee": "委员", "member": "党员"}


class RosterError(SheetError):
    """A roster change refused; `problems` lists (row number or 0, Chinese reason)."""


@dataclass(frozen=True)
class RosterRow:
    row: int
    branch: Branch
    name: str
    status: str
    duty: str
    group: str
    phone: str


def write_template(out: IO[bytes] | Path) -> None:
    example = [["妇儿党支部", "张三", "正式党员", "委员", "第一党小组", "13800000000"],
               ["妇儿党支部", "李四", "预备党员", "党员", "第一党小组", ""]]
    write_workbook(out, [("党员名册", [Column(h, 16) for h in HEADERS], example)])


def _parse_row(session: Session, consortium: Consortium, number: int, values: list) -> RosterRow:
    branch_text, name, status_text, duty_text, group, phone = (values + [""] * 6)[:6]
    problems = []
    branch = org.find_branch(session, consortium.id, branch_text) if branch_text else None
    if branch is None:
        problems.append(f"支部「{branch_text}」不存在" if branch_text else "缺少支部")
    if not name or len(name) > 32:
        problems.append("缺少姓名" if not name else "姓名过长")
    status = STATUS_WORDS.get(status_text or "正式党员")
    if status is None:
        problems.append(f"身份「{status_text}」应为 正式党员 或 预备党员")
    duty = DUTY_WORDS.get(duty_text)
    if duty is None:
        problems.append(f"职务「{duty_text}」应为 书记、副书记、委员 或 党员")
    if phone and not (phone.isdigit() and 5 <= len(phone) <= 20):
        problems.append(f"手机号「{phone}」应为数字")
    if problems:
        raise RosterError([(number, "；".join(problems))])
    return RosterRow(number, branch, name, status, duty, group[:32], phone)


def read_rows(session: Session, consortium: Consortium, data: bytes) -> list[RosterRow]:
    """Every row of the workbook's first sheet; RosterError lists every bad row (with its number)."""
    return parse_sheet(data, HEADERS, lambda number, cells: _parse_row(session, consortium, number, cells),
                       key=lambda row: (row.branch.id, row.name), duplicate="与第 {row} 行重复（同一支部同名）",
                       error=RosterError)


def import_roster(session: Session, consortium: Consortium, data: bytes, *, now: datetime) -> dict:
    """Insert or update by (branch, name); nothing is written when any row is bad."""
    rows = read_rows(session, consortium, data)
    created = updated = 0
    for row in rows:
        member = session.scalar(select(PartyMember).where(PartyMember.branch_id == row.branch.id,
                                                          PartyMember.name == row.name))
        if member is None:
            member = PartyMember(consortium_id=consortium.id, branch_id=row.branch.id, name=row.name,
                                 created_at=now)
            session.add(member)
            created += 1
        elif (member.status, member.duty, member.group_name, member.phone, member.archived_at) != \
                (row.status, row.duty, row.group, row.phone, None):
            updated += 1
        member.status, member.duty, member.group_name, member.phone = row.status, row.duty, row.group, row.phone
        member.archived_at = None
        member.updated_at = now
    session.flush()
    return {"rows": len(rows), "created": created, "updated": updated}


def members(session: Session, *, consortium_id: int | None = None, branch_id: int | None = None,
            archived: bool = False) -> list[PartyMember]:
    query = select(PartyMember).order_by(PartyMember.branch_id, PartyMember.id)
    if consortium_id is not None:
        query = query.where(PartyMember.consortium_id == consortium_id)
    if branch_id is not None:
        query = query.where(PartyMember.branch_id == branch_id)
    if not archived:
        query = query.where(PartyMember.archived_at.is_(None))
    return list(session.scalars(query))


def member_to_dict(m: PartyMember) -> dict:
    return {"id": m.id, "name": m.name, "branch": m.branch.code, "status": m.status, "duty": m.duty,
            "group": m.group_name, "bound": m.person_id is not None}


def save_member(session: Session, consortium_id: int, *, branch: Branch, name: str, status: str, duty: str,
                group: str, phone: str, now: datetime, member: PartyMember | None = None) -> PartyMember:
    """Add (member None) or edit one entry; moving to another branch keeps the member's attendance."""
    name = name.strip()
    if not name or len(name) > 32 or status not in STATUS_LABELS or duty not in DUTY_LABELS:
        raise RosterError([(0, "姓名、身份或职务不正确")])
    if branch.consortium_id != consortium_id:
        raise RosterError([(0, "支部不属于本医共体")])
    clash = session.scalar(select(PartyMember.id).where(PartyMember.branch_id == branch.id, PartyMember.name == name))
    if clash is not None and (member is None or clash != member.id):
        raise RosterError([(0, f"{branch.name}已有同名党员「{name}」")])
    if member is None:
        member = PartyMember(consortium_id=consortium_id, created_at=now)
        session.add(member)
    member.branch_id, member.name, member.status, member.duty = branch.id, name, status, duty
    member.group_name, member.phone, member.updated_at = group.strip()[:32], phone.strip()[:20], now
    session.flush()
    session.refresh(member)
    return member


def archive_member(session: Session, member: PartyMember, *, now: datetime) -> None:
    """Transferred out: off the roster and no longer expected, history kept; the WeChat link ends."""
    member.archived_at = now
    member.person_id = None
    member.updated_at = now
    session.flush()


# --- binding -------------------------------------------------------------------

def member_of(session: Session, person: Person) -> PartyMember | None:
    """The active roster entry a WeChat user is bound to, if any."""
    return session.scalar(select(PartyMember).where(PartyMember.person_id == person.id,
                                                    PartyMember.archived_at.is_(None)))


def match_name(session: Session, branch_id: int, name: str) -> tuple[str, PartyMember | None]:
    """("ok", member) | ("unknown", None) | ("ambiguous", None) | ("taken", member)."""
    name = name.strip()
    rows = list(session.scalars(select(PartyMember).where(PartyMember.branch_id == branch_id,
                                                          PartyMember.archived_at.is_(None),
                                                          PartyMember.name == name)))
    if not rows:
        partial = session.scalars(select(PartyMember.id).where(
            PartyMember.branch_id == branch_id, PartyMember.archived_at.is_(None),
            PartyMember.name.contains(name, autoescape=True))).all() if name else []
        return ("ambiguous" if len(partial) > 1 else "unknown"), None
    return ("taken" if rows[0].person_id is not None else "ok"), rows[0]


def link(session: Session, person: Person, member: PartyMember, *, now: datetime) -> None:
    """Bind: the roster entry points at the person; a person with no other role becomes a party member."""
    for other in session.scalars(select(PartyMember).where(PartyMember.person_id == person.id)):
        other.person_id = None
    session.flush()
    member.person_id = person.id
    if person.role is None:
        person.role = "party_member"
        person.consortium_id = member.consortium_id
        person.branch_id = member.branch_id
        person.bound_at = now
    if not person.name:
        person.name = member.name
    session.flush()
