"""A realistic month of demo requests for the console: statuses, routing keywords, notes, ratings.

Deterministic (fixed random seed) and idempotent: nothing is added once demo members
have requests. Rows are written directly (no notifications) so the outbox stays clean.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Branch, Person
from models.task import Task, TaskEvent
from services.tasks.lifecycle import next_number

# (text, branch code or "triage", keywords with weights)
REQUESTS = [
    ("产科的胎心监护仪不会用，想请县医院来培训", "maternal", [("胎心监护", 3), ("培训", 1.5)]),
    ("儿童预防接种后发热的处理流程想请教一下", "maternal", [("儿童", 2), ("接种", 1)]),
    ("孕产妇高危筛查表格怎么填，能否派人指导", "maternal", [("孕产妇", 3), ("高危筛查", 2)]),
    ("高血压病人用药调整，需要内科医生远程会诊", "internal", [("高血压", 3), ("会诊", 1)]),
    ("糖尿病患者血糖控制不好，想转诊到县医院内分泌", "internal", [("糖尿病", 3), ("转诊", 1)]),
    ("慢阻肺病人雾化治疗方案请内科支部帮忙看看", "internal", [("慢阻肺", 3), ("雾化", 2)]),
    ("清创缝合后伤口感染，想请外科医生下来指导", "surgery", [("清创缝合", 3), ("伤口", 2)]),
    ("骨折病人手法复位后的固定方法需要培训", "surgery", [("骨折", 3), ("复位", 2)]),
    ("新来的护士静脉输液技术不熟练，想请护理部带教", "nursing", [("静脉输液", 3), ("护士", 2)]),
    ("压疮护理规范有没有最新版本，想组织学习", "nursing", [("压疮", 3), ("护理", 2)]),
    ("B超机坏了，图像不清楚，需要医技科室帮忙看看", "medtech", [("B超", 3), ("图像", 1)]),
    ("检验科室的生化仪定标有问题，结果偏高", "medtech", [("生化仪", 3), ("检验", 2)]),
    ("心电图结果判读拿不准，能否远程帮忙出报告", "medtech", [("心电图", 3), ("报告", 1)]),
    ("白内障筛查活动想请眼科医生下乡", "eye_ent", [("白内障", 3), ("眼科", 2)]),
    ("口腔科的牙椅坏了，附近村民拔牙不方便", "eye_ent", [("口腔", 3), ("牙椅", 2)]),
    ("耳鼻喉内镜检查能否安排专家坐诊", "eye_ent", [("耳鼻喉", 3), ("内镜", 1)]),
    ("胸痛病人急救转运流程不清楚，想做一次演练", "emergency", [("急救", 3), ("胸痛", 2)]),
    ("心肺复苏培训想请急诊科老师来讲", "emergency", [("心肺复苏", 3), ("急诊", 2)]),
    ("老年人健康体检数据上报系统登不上去", "public_health", [("健康体检", 2), ("老年人", 2)]),
    ("家庭医生签约服务考核指标有疑问", "public_health", [("家庭医生", 3), ("签约", 2)]),
    ("传染病网络直报有一例需要核实", "public_health", [("传染病", 3), ("直报", 2)]),
    ("卫生院的信息系统经常断网，医保结算受影响", "logistics", [("信息系统", 3), ("断网", 2)]),
    ("冬季取暖锅炉有安全隐患，请后勤帮忙检查", "logistics", [("锅炉", 3), ("安全隐患", 1)]),
    ("支部结对共建活动本月想安排在我们院", "admin", [("结对共建", 3), ("支部", 1)]),
    ("党员学习材料能否多发几份到村卫生室", "admin", [("党员", 2), ("学习材料", 2)]),
    ("想问一下进修名额怎么申请，另外设备维修找谁", "triage", [("进修", 1), ("维修", 1)]),
    ("有几件事想反映，电话里说不清楚", "triage", []),
    ("村里老人想咨询一下看病报销的事", "triage", [("报销", 1)]),
    ("药品配送总是延迟，基本药物经常断货", "triage", [("药品", 1.5)]),
    ("想邀请县医院专家来义诊，具体科室还没定", "triage", [("义诊", 1.5)]),
]
NOTES = ["已安排专人电话指导，问题已解决", "已于本周下乡现场培训，发放操作手册", "已协调科室专家远程会诊，给出方案",
         "已派工程师上门检修，设备恢复正常", "已组织带教两次，后续按月回访", "已反馈相关科室并纳入下月计划"]
COMMENTS = ["很及时，谢谢", "专家讲得很细致", "", "", "希望以后多来几次", "处理有点慢", "问题解决了"]


def _when(rng: random.Random, start: datetime, days: int, tz: ZoneInfo) -> datetime:
    day = start + timedelta(days=rng.randrange(days))
    local = day.astimezone(tz).replace(hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 17]),
                                       minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
    return local


def _outcome(rng: random.Random, age: timedelta) -> str:
    roll = rng.random()
    if age > timedelta(days=7):
        return "resolved" if roll < 0.8 else ("accepted" if roll < 0.9 else ("withdrawn" if roll < 0.94 else "routed"))
    if age > timedelta(days=2):
        return "resolved" if roll < 0.5 else ("accepted" if roll < 0.8 else "routed")
    return "routed" if roll < 0.6 else ("accepted" if roll < 0.9 else "resolved")


def _resolve_fields(rng: random.Random, task: Task, staff: Person | None, now: datetime) -> None:
    task.accepted_at = min(task.routed_at + timedelta(hours=rng.randint(1, 20)), now - timedelta(minutes=20))
    task.accepted_by_id = staff.id if staff else None
    if task.status == "resolved":
        task.resolved_at = min(task.accepted_at + timedelta(hours=rng.randint(4, 96)), now - timedelta(minutes=5))
        task.resolved_by_id = task.accepted_by_id
        task.resolution_note = rng.choice(NOTES)
        if rng.random() < 0.8:
            task.rating = rng.choices([5, 4, 3, 2, 1], weights=[50, 30, 10, 6, 4])[0]
            task.rating_comment = rng.choice(COMMENTS) or None
            task.rated_at = task.resolved_at + timedelta(hours=2)


def _make(session: Session, rng: random.Random, member: Person, branches: dict[str, Branch],
          staff: dict[int, Person], created: datetime, now: datetime) -> Task:
    text, code, words = rng.choice(REQUESTS)
    branch = branches.get(code)
    status = _outcome(rng, now - created) if branch else ("triage" if now - created < timedelta(days=3) else None)
    if branch is None and status is None:  # the office assigned it meanwhile: to a paired branch
        branch, status = rng.choice(list(branches.values())), "resolved"
    task = Task(number=next_number(session, created.year), consortium_id=member.consortium_id,
                requester_id=member.id, unit_id=member.unit_id, branch_id=branch.id if branch else None,
                status=status, text=text, created_at=created, routed_at=created if branch else None,
                routing={"branch": code, "confidence": 0.9 if code != "triage" else 0.3,
                         "keywords": [{"word": w, "weight": k} for w, k in words], "runner_up": None})
    if branch is not None and status in ("accepted", "resolved", "withdrawn"):
        _resolve_fields(rng, task, staff.get(branch.id), now)
    task.overdue = status in ("routed", "accepted") and now - created > timedelta(days=5)
    session.add(task)
    return task


def seed_requests(session: Session, consortium_id: int, *, now: datetime, tz: ZoneInfo,
                  count: int = 120, days: int = 30) -> int:
    """About a month of requests from the demo members; returns how many were added (0 if done before)."""
    members = list(session.scalars(select(Person).where(Person.openid.like("demo-member-%"),
                                                        Person.consortium_id == consortium_id)
                                   .order_by(Person.id)).all())
    if not members or session.scalar(select(Task.id).where(Task.requester_id.in_([m.id for m in members]))
                                     .limit(1)) is not None:
        return 0
    rng = random.Random(20261)
    branches = {b.code: b for b in session.scalars(select(Branch).where(Branch.consortium_id == consortium_id))}
    staff = {p.branch_id: p for p in session.scalars(select(Person).where(Person.role == "secretary",
                                                                          Person.is_deputy.is_(False)))}
    start = now - timedelta(days=days)
    times = sorted(_when(rng, start, days, tz) for _ in range(count))
    for created in (t for t in times if t < now - timedelta(minutes=30)):
        task = _make(session, rng, rng.choice(members), branches, staff, created, now)
        session.flush()
        session.add(TaskEvent(task_id=task.id, actor_id=task.requester_id, action="created",
                              to_status=task.status, created_at=created, note="演示数据"))
    session.flush()
    return len([t for t in times if t < now - timedelta(minutes=30)])
