"""The year-end 述职评议 draft of a branch, written from its records (meetings per kind, activities,
requests, 月报, 督办 items, the score's parts, the plan's progress). The office edits it in the console, the
branch's secretary in WeChat (述职: read it, rewrite a paragraph, add the 不足与打算, start over); the edited
text is kept on the year's plan (`YearPlan.review`) and wins over the generated one."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from models.joint import JointItem, YearPlan
from models.org import Branch
from models.pairing import Activity
from models.party import Meeting
from models.report import MonthlyReport
from models.task import Task
from services.joint import plans, scores
from services.pairing.agreements import KIND_LABELS


OUTLOOK = "存在的不足与下一步打算："
PLACEHOLDER = "（请支部书记补充）"


class ReviewError(Exception):
    def __init__(self, code: str, **info):
        super().__init__(code)
        self.code, self.info = code, info


def review_year(now: datetime, settings: Settings) -> int:
    """The year a 述职 written now is about: the last one in January and February, else this one."""
    today = now.astimezone(settings.tz).date()
    return today.year - 1 if today.month <= 2 else today.year


def _meetings(session: Session, branch: Branch, year: int, settings: Settings, now: datetime) -> str:
    tz = settings.tz
    counts = dict(session.execute(select(Meeting.kind, func.count()).where(
        Meeting.branch_id == branch.id, Meeting.status != "cancelled",
        Meeting.starts_at >= datetime(year, 1, 1, tzinfo=tz),
        Meeting.starts_at < min(datetime(year + 1, 1, 1, tzinfo=tz), now)).group_by(Meeting.kind)).all())
    words = [f"{k.name} {counts.get(k.code, 0)} 次" for k in settings.meetings.branch_kinds]
    return "一、组织生活：全年召开" + "，".join(words) + "。"


def _activities(session: Session, branch: Branch, year: int) -> str:
    counts = dict(session.execute(select(Activity.kind, func.count()).where(
        Activity.branch_id == branch.id, Activity.held_on >= date(year, 1, 1),
        Activity.held_on < date(year + 1, 1, 1)).group_by(Activity.kind)).all())
    total = sum(counts.values())
    detail = "，".join(f"{KIND_LABELS.get(k, k)} {n} 次" for k, n in sorted(counts.items()))
    return f"二、结对帮扶：开展结对活动 {total} 次" + (f"（{detail}）" if detail else "") + "。"


def _requests(session: Session, branch: Branch, year: int, settings: Settings) -> str:
    tz = settings.tz
    tasks = session.scalars(select(Task).where(Task.branch_id == branch.id,
                                               Task.created_at >= datetime(year, 1, 1, tzinfo=tz),
                                               Task.created_at < datetime(year + 1, 1, 1, tzinfo=tz))).all()
    resolved = [t for t in tasks if t.status == "resolved"]
    in_time = sum(not t.overdue for t in resolved)
    return (f"三、诉求办理：受理诉求 {len(tasks)} 件，办结 {len(resolved)} 件，其中按期办结 {in_time} 件。")


def _reports_items(session: Session, branch: Branch, year: int, settings: Settings) -> str:
    reports = session.scalars(select(MonthlyReport).where(MonthlyReport.branch_id == branch.id,
                                                          MonthlyReport.period.like(f"{year}-%"))).all()
    items = session.scalars(select(JointItem).where(JointItem.owner_branch_id == branch.id,
                                                    JointItem.due >= date(year, 1, 1),
                                                    JointItem.due < date(year + 1, 1, 1))).all()
    closed = sum(not i.is_open for i in items)
    return (f"四、月报与督办：报送月报 {len(reports)} 份（迟报 {sum(r.late for r in reports)} 份）；"
            f"承办督办事项 {len(items)} 项，已办结 {closed} 项。")


def _plan_and_score(session: Session, branch: Branch, year: int, settings: Settings, now: datetime) -> list[str]:
    lines = []
    progress = plans.progress_line(session, branch.id, year, settings, now=now)
    if progress:
        lines.append("五、" + progress + "。")
    row = scores.branch_score(session, branch, scores.window(str(year), settings, now=now), settings)
    labels = {p.name: p.label for p in settings.rubric.parts}
    parts = "；".join(f"{labels[n]} {p['points']} 分" for n, p in row["parts"].items())
    lines.append(f"{'六' if progress else '五'}、考核得分：{row['score']} 分（{parts}）。")
    return lines


def generated(session: Session, branch: Branch, year: int, settings: Settings, *, now: datetime) -> str:
    """The draft written from the records (plain text, one paragraph a line)."""
    head = f"{branch.name}{year}年度述职评议材料（草稿）"
    body = [_meetings(session, branch, year, settings, now), _activities(session, branch, year),
            _requests(session, branch, year, settings), _reports_items(session, branch, year, settings)]
    body += _plan_and_score(session, branch, year, settings, now)
    body.append(OUTLOOK + PLACEHOLDER)
    return "\n".join([head, *body])


def draft(session: Session, branch: Branch, year: int, settings: Settings, *, now: datetime) -> tuple[str, bool]:
    """(text, edited): the saved edit if any, else the generated draft."""
    plan = plans.get_plan(session, branch.id, year)
    if plan is not None and plan.review.strip():
        return plan.review, True
    return generated(session, branch, year, settings, now=now), False


def save(session: Session, branch: Branch, year: int, text: str, *, now: datetime) -> YearPlan:
    """Keep the edited text ("" goes back to the generated draft); a branch without a plan gets an empty one."""
    plan = plans.get_plan(session, branch.id, year)
    if plan is None:
        plan = YearPlan(branch_id=branch.id, year=year, targets={}, points="", themes=[], topics=[], updated_at=now)
        session.add(plan)
    plan.review, plan.review_at = text.replace("\r\n", "\n").strip()[:20000], now
    session.flush()
    return plan


def paragraphs(text: str) -> list[str]:
    """The draft's lines after its heading: the paragraphs a secretary numbers 1, 2, ..."""
    return [line for line in text.split("\n")[1:] if line.strip()]


def _rewrite(session: Session, branch: Branch, year: int, settings: Settings, change, *, now: datetime) -> str:
    text, _ = draft(session, branch, year, settings, now=now)
    edited = "\n".join([text.split("\n")[0], *change(paragraphs(text))])
    save(session, branch, year, edited, now=now)
    return edited


def replace_paragraph(session: Session, branch: Branch, year: int, settings: Settings, number: int, new: str, *,
                      now: datetime) -> str:
    """Paragraph `number` (1-based) becomes `new`. ReviewError: no_paragraph, empty."""
    new = new.strip()
    if not new:
        raise ReviewError("empty")

    def change(body: list[str]) -> list[str]:
        if not 1 <= number <= len(body):
            raise ReviewError("no_paragraph", number=number, count=len(body))
        return body[:number - 1] + [new] + body[number:]
    return _rewrite(session, branch, year, settings, change, now=now)


def add_outlook(session: Session, branch: Branch, year: int, settings: Settings, new: str, *, now: datetime) -> str:
    """The secretary's 不足与打算: fills the placeholder the first time, then adds to that paragraph."""
    new = new.strip()
    if not new:
        raise ReviewError("empty")

    def change(body: list[str]) -> list[str]:
        for i, line in enumerate(body):
            if line.startswith(OUTLOOK):
                current = line[len(OUTLOOK):].replace(PLACEHOLDER, "").strip()
                return body[:i] + [OUTLOOK + (current + new if current else new)] + body[i + 1:]
        return body + [OUTLOOK + new]
    return _rewrite(session, branch, year, settings, change, now=now)
