"""The health bureau's (卫健局) view: every consortium side by side, and one workbook, a sheet each."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models.org import Branch, Consortium, Unit
from models.pairing import Activity
from models.report import MonthlyReport
from models.task import Task
from services.pairing.agreements import completion, pairing_rows
from services.shared.spreadsheets import Column, write_workbook
from services.reports.summary import summary_values, SUMMARY_COLUMNS, year_summary

OVERVIEW_COLUMNS = (Column("医共体", 18), Column("支部", 7), Column("成员单位", 9), Column("结对", 7),
                    Column("四个一完成", 11), Column("完成率%", 9), Column("本年活动", 9), Column("未结诉求", 9),
                    Column("超期诉求", 9), Column("月报未报", 9))


def _counts(session: Session, model, column) -> dict[int, int]:
    return dict(session.execute(select(column, func.count(model.id)).group_by(column)).all())


def overview(session: Session, *, year: int, period: str) -> list[dict]:
    """Per consortium: branches, units, pairings, 四个一 completion in `year`, activities, open and
    overdue tasks, branches without a 月报 for `period`."""
    branches = _counts(session, Branch, Branch.consortium_id)
    units = _counts(session, Unit, Unit.consortium_id)
    acts = dict(session.execute(select(Activity.consortium_id, func.count(Activity.id))
                                .where(Activity.held_on >= date(year, 1, 1), Activity.held_on <= date(year, 12, 31))
                                .group_by(Activity.consortium_id)).all())
    is_open = Task.status.in_(("routed", "accepted"))
    tasks = {c: (o, od) for c, o, od in session.execute(
        select(Task.consortium_id, func.count(case((is_open, Task.id))),
               func.count(case((is_open & Task.overdue.is_(True), Task.id)))).group_by(Task.consortium_id))}
    filed = dict(session.execute(select(Branch.consortium_id, func.count(MonthlyReport.id))
                                 .join(Branch, MonthlyReport.branch_id == Branch.id)
                                 .where(MonthlyReport.period == period).group_by(Branch.consortium_id)).all())
    by_cons: dict[int, list] = {}
    for row in pairing_rows(session, year):
        by_cons.setdefault(row.consortium_id, []).append(row)
    result = []
    for c in session.scalars(select(Consortium).order_by(Consortium.id)):
        four = completion(by_cons.get(c.id, []))
        open_, overdue = tasks.get(c.id, (0, 0))
        result.append({"code": c.code, "name": c.name, "branches": branches.get(c.id, 0), "units": units.get(c.id, 0),
                       "pairings": four["pairings"], "four_complete": four["complete"], "four_rate": four["rate"],
                       "four_items": four["items"], "activities": acts.get(c.id, 0), "open_tasks": open_,
                       "overdue_tasks": overdue, "reports_missing": branches.get(c.id, 0) - filed.get(c.id, 0),
                       "period": period})
    return result


def overview_values(rows: list[dict]) -> list[list[Any]]:
    return [[r["name"], r["branches"], r["units"], r["pairings"], r["four_complete"], r["four_rate"],
             r["activities"], r["open_tasks"], r["overdue_tasks"], r["reports_missing"]] for r in rows]


def export_workbook(session: Session, out: IO[bytes] | Path, *, year: int, period: str, tz: ZoneInfo,
                    today: date) -> int:
    """汇总 first, then one sheet per consortium (its branches' year summary); returns the data rows."""
    rows = overview(session, year=year, period=period)
    sheets = [("汇总", OVERVIEW_COLUMNS, overview_values(rows))]
    for c in session.scalars(select(Consortium).order_by(Consortium.id)):
        sheets.append((c.name, SUMMARY_COLUMNS,
                       list(summary_values(year_summary(session, c.id, year, tz=tz, today=today)))))
    return write_workbook(out, sheets)
