"""Monthly work reports (月报): parse the free format, draft -> confirm -> filed, who is missing, 催报.

Free format (one message, any order, Chinese or Arabic numerals), e.g.
``结对活动3次，义诊2次服务126人次，培训4场，讲座1次，解决问题5个``.
Each number is given to the nearest keyword before it in its clause (or, when it
carries a unit, the first keyword after it: ``解决3个问题``); ``人次`` always counts
people served at 义诊. Numbers followed by 年/月/日 are dates and ignored.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.config.reports import ReportPolicy
from core.workdays import WorkCalendar
from models.org import Branch, Person
from models.report import COUNT_FIELDS, MonthlyReport, ReportDraft
from services.org import structure as org
from services.shared import periods
from services.reminders import fanout as reminders

UNITS = "人次|次|场|期|个|件|项|条|班|人"
NUMBER = re.compile(rf"(\d+)(?!\s*[年月日号点时:：\-/.\d])\s*({UNITS})?")
CLAUSE = re.compile(r"[，,。；;、\n]+")
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_NUMBER = re.compile(rf"([零〇一二两三四五六七八九十百]+)(?=\s*(?:{UNITS}))")
KEYWORDS = (("义诊人次", "clinic_people"), ("服务人次", "clinic_people"), ("受益人次", "clinic_people"),
            ("义诊", "clinics"), ("结对", "activities"), ("活动", "activities"), ("培训", "trainings"),
            ("讲座", "lectures"), ("宣讲", "lectures"), ("授课", "lectures"), ("问题", "problems"),
            ("难题", "problems"), ("困难", "problems"))
URGED = "已向 {count} 个支部发送催报：{names}。"  # the office's answer, in WeChat and in the console
URGED_ALREADY = "今天已催报过、未重复发送：{names}。"
URGE_NONE = "{period}工作月报已全部报送，无需催报。"
URGE_TEXT = "【催报】{branch}尚未报送{period}工作月报（截止{deadline}），请发送「月报」按提示填报。"


def deadline_day(period: str, calendar: WorkCalendar, policy: ReportPolicy) -> date:
    year, month = map(int, period.split("-"))
    if policy.deadline_day is None:
        return calendar.last_workday_of_month(year, month)
    return date(year, month, policy.deadline_day)


def deadline_at(period: str, calendar: WorkCalendar, policy: ReportPolicy, tz: ZoneInfo) -> datetime:
    """The instant the report becomes late: the end of the deadline day."""
    return datetime.combine(deadline_day(period, calendar, policy) + timedelta(days=1), time(0), tzinfo=tz)


def deadline_label(period: str, calendar: WorkCalendar, policy: ReportPolicy) -> str:
    d = deadline_day(period, calendar, policy)
    return f"{d.month}月{d.day}日"


def current_period(session: Session, branch_id: int, policy: ReportPolicy, *, now: datetime,
                   tz: ZoneInfo) -> str:
    """This month; early in a month whose previous report is still missing, that one (late)."""
    today = now.astimezone(tz).date()
    period = periods.month_of(today)
    previous = periods.shift_month(period, -1)
    if today.day <= policy.late_window_days and get_report(session, branch_id, previous) is None:
        return previous
    return period


# --- parsing ---------------------------------------------------------------------

def _cn_to_int(text: str) -> int:
    if all(ch in CN_DIGITS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        else:
            total += (current or 1) * (100 if ch == "百" else 10)
            current = 0
    return total + current


def normalize(text: str) -> str:
    text = text.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    return CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(1))), text)


def _keyword(segment: str, last: bool) -> str | None:
    found = [(segment.rfind(word) if last else segment.find(word), -len(word), field)
             for word, field in KEYWORDS if word in segment]
    if not found:
        return None
    return (max(found) if last else min(found, key=lambda f: (f[0], f[1])))[2]


def parse_counts(text: str) -> dict[str, int]:
    """The counts recognized in a free-format report (fields of COUNT_FIELDS); {} if none."""
    counts: dict[str, int] = {}
    for clause in CLAUSE.split(normalize(text)):
        matches = list(NUMBER.finditer(clause))
        for i, m in enumerate(matches):
            before = clause[matches[i - 1].end() if i else 0:m.start()]
            after = clause[m.end():matches[i + 1].start() if i + 1 < len(matches) else len(clause)]
            unit = m.group(2)
            if unit in ("人次", "人"):
                field = "clinic_people"
            else:
                field = _keyword(before, last=True) or (_keyword(after, last=False) if unit else None)
            if field:
                counts[field] = counts.get(field, 0) + int(m.group(1))
    return {f: counts[f] for f in COUNT_FIELDS if f in counts}


# --- drafts and filing -------------------------------------------------------------

def pending_draft(session: Session, person: Person) -> ReportDraft | None:
    return session.scalar(select(ReportDraft).where(ReportDraft.person_id == person.id))


def _save_draft(session: Session, person: Person, period: str, stage: str, *, now: datetime,
                counts: dict | None = None, text: str = "") -> ReportDraft:
    session.execute(delete(ReportDraft).where(ReportDraft.person_id == person.id))
    draft = ReportDraft(person_id=person.id, branch_id=person.branch_id, period=period, stage=stage,
                        counts=counts or {}, text=text, created_at=now)
    session.add(draft)
    session.flush()
    return draft


def start_draft(session: Session, person: Person, period: str, *, now: datetime) -> ReportDraft:
    """Guided mode: the secretary's next message is the report content."""
    return _save_draft(session, person, period, "collecting", now=now)


def draft_from_text(session: Session, person: Person, period: str, text: str, *,
                    now: datetime) -> ReportDraft | None:
    """Parse `text` into a draft awaiting 确认; None (nothing saved) if no count was recognized."""
    counts = parse_counts(text)
    if not counts:
        return None
    return _save_draft(session, person, period, "confirm", now=now, counts=counts, text=text.strip())


def confirm(session: Session, person: Person, calendar: WorkCalendar, policy: ReportPolicy, *,
            now: datetime, tz: ZoneInfo) -> MonthlyReport | None:
    """File the pending draft (late after the deadline); refiling updates the counts. None if no draft."""
    draft = pending_draft(session, person)
    if draft is None or draft.stage != "confirm":
        return None
    report = get_report(session, draft.branch_id, draft.period)
    if report is None:
        report = MonthlyReport(branch_id=draft.branch_id, period=draft.period, filed_at=now,
                               late=now >= deadline_at(draft.period, calendar, policy, tz))
        session.add(report)
    report.counts, report.text = dict(draft.counts), draft.text
    report.filed_by_id, report.updated_at = person.id, now
    session.delete(draft)
    session.flush()
    session.refresh(report)
    return report


def get_report(session: Session, branch_id: int, period: str) -> MonthlyReport | None:
    return session.scalar(select(MonthlyReport).where(MonthlyReport.branch_id == branch_id,
                                                      MonthlyReport.period == period))


def filed_branch_ids(session: Session, period: str) -> set[int]:
    return set(session.scalars(select(MonthlyReport.branch_id).where(MonthlyReport.period == period)))


def missing_branches(session: Session, consortium_id: int, period: str) -> list[Branch]:
    filed = filed_branch_ids(session, period)
    branches = session.scalars(select(Branch).where(Branch.consortium_id == consortium_id)
                               .order_by(Branch.id)).all()
    return [b for b in branches if b.id not in filed]


def urge_missing(session: Session, consortium_id: int, period: str, deadline: str, *, now: datetime,
                 tz: ZoneInfo, sandbox: bool) -> dict[str, list[str]]:
    """催报: remind each missing branch's staff, at most once a day; {"sent": [...], "already": [...]}."""
    result: dict[str, list[str]] = {"sent": [], "already": []}
    day = now.astimezone(tz).date().isoformat()
    for branch in missing_branches(session, consortium_id, period):
        text = URGE_TEXT.format(branch=branch.name, period=periods.label(period), deadline=deadline)
        staff = org.branch_staff(session, branch.id)
        if not reminders.claim_once(session, "urge", f"{period}@{day}", f"branch:{branch.id}", now=now):
            result["already"].append(branch.name)
            continue
        reminders.fan_out(session, "urge", f"{period}@{day}", [(p.openid, text) for p in staff],
                          now=now, sandbox=sandbox, payload={"branch": branch.code})
        result["sent"].append(branch.name)
    return result


def report_to_dict(report: MonthlyReport) -> dict[str, Any]:
    return {"branch": report.branch.code, "period": report.period, "counts": report.counts,
            "late": report.late, "filed_at": report.filed_at.isoformat(), "text": report.text}
