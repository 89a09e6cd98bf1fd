"""User tags that pick each person's menu: outbox rows on identity changes, batched delivery, stored tag ids.

A bind, unbind or role change writes `tag` outbox rows (payload {"action": "tag"|"untag", "role": r})
in the caller's transaction; the worker sends them with `tags/members/batchtagging` /
`batchuntagging`, rows of the same action and tag together, at most BATCH_MAX openids a call.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.menu import MenuTag
from models.org import Person
from services.messages import outbox

KIND = "tag"
BATCH_MAX = 50  # WeChat: 40032 beyond 50 openids a call
NOT_PUSHED = "角色「{role}」还没有用户标签：请先运行 python bot.py menu push"


def enqueue_retag(session: Session, openid: str, old_role: str | None, new_role: str | None, *,
                  now: datetime, sandbox: bool) -> int:
    """Untag the old role and tag the new one (untag first: the tag put on last decides the menu).

    Only roles with a stored tag: before the first `menu push` nothing is queued (the push tags
    everyone bound then).
    """
    if old_role == new_role:
        return 0
    ids = tag_ids(session)
    count = 0
    for action, role in (("untag", old_role), ("tag", new_role)):
        if role in ids:
            outbox.enqueue(session, openid, KIND, f"{action} {role}", now=now, sandbox=sandbox,
                           payload={"action": action, "role": role})
            count += 1
    return count


def enqueue_bound(session: Session, *, now: datetime, sandbox: bool) -> int:
    """Tag everyone bound with their role (after `menu push` created or found the tags)."""
    people = session.execute(select(Person.openid, Person.role).where(Person.role.in_(list(tag_ids(session))))
                             .order_by(Person.role, Person.id)).all()
    for openid, role in people:
        outbox.enqueue(session, openid, KIND, f"tag {role}", now=now, sandbox=sandbox,
                       payload={"action": "tag", "role": role})
    return len(people)


def tag_ids(session: Session) -> dict[str, int]:
    """role -> WeChat tag id, as the last `menu push` stored them."""
    return dict(session.execute(select(MenuTag.role, MenuTag.tag_id)).all())


def store_tags(session: Session, rows: Iterable[tuple[str, str, int, str]], *, now: datetime) -> None:
    """(role, menu, tag_id, tag_name) rows replace what a previous push stored."""
    existing = {t.role: t for t in session.scalars(select(MenuTag))}
    for role, menu, tag_id, tag_name in rows:
        row = existing.pop(role, None) or MenuTag(role=role)
        row.menu, row.tag_id, row.tag_name, row.updated_at = menu, tag_id, tag_name, now
        session.add(row)
    for stale in existing.values():  # a role that lost its menu sees the default one
        session.delete(stale)
    session.flush()


@dataclass(frozen=True)
class Batch:
    """One API call: the same action and tag for up to BATCH_MAX openids (jobs carry `.to_openid`)."""
    action: str
    tag_id: int | None
    role: str
    jobs: tuple


def batches(jobs: list, ids: dict[str, int]) -> list[Batch]:
    """Group tag jobs by (action, role), untagging first, at most BATCH_MAX a call. Of several rows
    for the same person and tag in one pass only the newest counts (bind then rebind; office ->
    admin, one tag): the others are "skip"."""
    newest = {}
    for job in sorted(jobs, key=lambda j: j.id):
        role = job.payload.get("role")
        newest[(job.to_openid, ids.get(role, role))] = job.id
    groups: dict[tuple[str, str], list] = defaultdict(list)
    skipped = []
    for job in jobs:
        role = job.payload.get("role")
        if newest[(job.to_openid, ids.get(role, role))] != job.id:
            skipped.append(job)
        else:
            groups[(job.payload.get("action"), role)].append(job)
    result = [Batch("skip", None, "", tuple(skipped))] if skipped else []
    for (action, role), group in sorted(groups.items(), key=lambda kv: kv[0][0] != "untag"):
        for start in range(0, len(group), BATCH_MAX):
            result.append(Batch(action, ids.get(role), role, tuple(group[start:start + BATCH_MAX])))
    return result
