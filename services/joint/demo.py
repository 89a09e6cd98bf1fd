"""Demo data for joint meetings (init-db --demo): per consortium one past 联席会议 whose decided items are
confirmed, awaiting confirmation, overdue and open; unit contacts; 2026-style yearly plans. Idempotent."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from models.joint import JointItem, YearPlan
from models.org import Branch, Person, Unit
from models.party import Meeting
from services.joint import agenda, attendance, contacts, plans
from services.joint import items as svc

DECISIONS = (  # owner index in the consortium's branches, title, due (days from now), done (days from now), confirmed
    (0, "为成员单位检修B超机并建立设备巡检台账", -20, -22, True),
    (1, "为成员单位开展产科急救培训", -10, -12, False),
    (2, "为成员单位配置远程心电诊断", -5, None, False),
    (3, "组织专家下沉开展慢病随访带教", 20, None, False),
)
THEMES = ["学习新思想", "重温入党誓词", "义诊进乡村", "清明祭英烈", "医德医风", "健康扶贫", "七一党性教育",
          "廉洁行医", "结对帮扶回访", "国庆爱国主义教育", "学习贯彻全会精神", "年度组织生活会准备"]
TOPICS = ["党章党规", "医德医风", "廉洁行医", "基层卫生健康政策"]
PER_PAIRING = {"结对活动": 4, "义诊": 1}  # each pairing's yearly targets
AGENDA = "一、听取成员单位困难和需求\n二、议定需要督办的事项\n三、通报上季度督办事项办理情况"


def seed(session: Session, settings: Settings, *, now: datetime) -> int:
    """Returns how many items were created (0 when already seeded)."""
    kind = next((k for k in settings.meetings.kinds if k.scope == "consortium"), None)
    created = 0
    for conf in settings.consortia:
        office = session.scalar(select(Person).where(Person.openid == f"demo-office-{conf.code}"))
        if office is None or kind is None:
            continue
        branches = session.scalars(select(Branch).where(Branch.consortium_id == office.consortium_id)
                                   .order_by(Branch.id)).all()
        _contacts_and_plans(session, office.consortium_id, branches, now=now)
        if session.scalar(select(JointItem.id).where(JointItem.consortium_id == office.consortium_id).limit(1)):
            continue
        meeting = Meeting(consortium_id=office.consortium_id, kind=kind.code, title="党建联席会议（季度）",
                          place="医共体党委会议室", starts_at=_afternoon(now - timedelta(days=30), settings), created_by_id=office.id,
                          created_at=now - timedelta(days=35), minutes="听取成员单位困难和需求，议定督办事项。",
                          minutes_at=now - timedelta(days=30), agenda=AGENDA, agenda_sent_at=now - timedelta(days=33))
        session.add(meeting)
        session.flush()
        _attended(session, meeting)
        created += _decide(session, settings, office, meeting, branches, now=now)
    session.flush()
    return created


def _afternoon(moment: datetime, settings: Settings) -> datetime:
    """14:30 local time on that day: a meeting time a committee would choose."""
    return moment.astimezone(settings.tz).replace(hour=14, minute=30, second=0, microsecond=0)


def _attended(session: Session, meeting: Meeting) -> None:
    """Every invitee came but the last, who asked for leave."""
    people = agenda.invitees(session, meeting.consortium_id)
    if not people:
        return
    attendance.invite(session, meeting, people)
    for row in attendance.rows(session, meeting.id):
        if row.person_id == people[-1].id:
            row.status, row.reason = "leave", "外出参加培训"
        else:
            row.status, row.signed_at, row.via = "present", meeting.starts_at - timedelta(minutes=10), "text"


def _decide(session: Session, settings: Settings, office: Person, meeting: Meeting, branches: list[Branch], *,
            now: datetime) -> int:
    start, tz = meeting.starts_at, settings.tz
    for index, title, due_days, done_days, confirmed in DECISIONS:
        owner = svc.Owner(branch=branches[index % len(branches)])
        due = (now + timedelta(days=due_days)).astimezone(tz).date()
        item = svc.record(session, office, owner, due, title, now=start, meeting=meeting)
        if done_days is not None:
            item.status, item.done_at, item.done_note = "done", now + timedelta(days=done_days), "已完成"
            if confirmed:
                item.status, item.confirmed_at = "confirmed", now + timedelta(days=done_days + 1)
    return len(DECISIONS)


def _contacts_and_plans(session: Session, consortium_id: int, branches: list[Branch], *, now: datetime) -> None:
    for unit in session.scalars(select(Unit).where(Unit.consortium_id == consortium_id)):
        person = session.scalar(select(Person).where(Person.openid == f"demo-member-{unit.code}"))
        if person is not None and contacts.contact_of(session, unit.id) is None:
            contacts.set_contact(session, unit, person, now=now)
    year = now.year
    for branch in branches:
        if session.scalar(select(YearPlan.id).where(YearPlan.branch_id == branch.id, YearPlan.year == year)) is None:
            session.add(YearPlan(branch_id=branch.id, year=year, targets=plans.targets_of(THEMES, TOPICS, 0, 4),
                                 themes=list(THEMES), topics=list(TOPICS), pairing_targets=dict(PER_PAIRING),
                                 points="落实三会一课；结对帮扶成员单位；开展义诊和健康讲座。", updated_at=now))
