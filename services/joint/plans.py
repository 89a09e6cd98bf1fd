"""Yearly branch plans (年度计划): xlsx import (all rows or none), the template, edits and progress lines.

A plan's counted targets live in `YearPlan.targets` (主题党日 and 党课 = the number of themes/topics,
结对活动, 义诊 for the whole branch) and `YearPlan.pairing_targets` (结对活动, 义诊 for EACH of the branch's
pairings); measures.plan_counts counts them from the records. A sheet without the two per-pairing columns
(the earlier template) still imports."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from models.joint import YearPlan
from models.org import Branch, Consortium
from services.joint import measures
from services.org import structure as org
from services.shared.spreadsheets import Column, SheetError, parse_sheet, write_workbook

HEADERS = ("支部", "年度", "主题党日主题", "结对活动次数", "义诊次数", "党课主题", "工作要点",
           "每个结对单位结对活动次数", "每个结对单位义诊次数")
SPLIT = re.compile(r"[；;\n]+")


class PlanError(SheetError):
    """A plan import refused: `problems` lists (row number or 0, Chinese reason)."""


@dataclass(frozen=True)
class PlanRow:
    branch: Branch
    year: int
    themes: list[str]
    pairing: int
    clinics: int
    topics: list[str]
    points: str
    per_pairing: dict


def split_list(text: str) -> list[str]:
    return [p.strip() for p in SPLIT.split(text or "") if p.strip()]


def targets_of(themes: list[str], topics: list[str], pairing: int, clinics: int) -> dict:
    return {"主题党日": len(themes), "党课": len(topics), "结对活动": pairing, "义诊": clinics}


def pairing_targets_of(pairing: int, clinics: int) -> dict:
    """Per-pairing targets, zeros left out."""
    return {name: n for name, n in (("结对活动", pairing), ("义诊", clinics)) if n}


def write_template(out: IO[bytes] | Path) -> None:
    example = [["妇儿党支部", "2027", "学习二十大精神；重温入党誓词；义诊进社区", "4", "2", "医德医风；廉洁行医",
                "一、加强班子建设；二、推进结对帮扶", "4", "1"]]
    write_workbook(out, [("年度计划", [Column(h, 20) for h in HEADERS], example)])


def _count(text: str, label: str, problems: list[str]) -> int:
    if not text:
        return 0
    if not text.isdigit() or int(text) > 999:
        problems.append(f"{label}「{text}」应为 0–999 的整数")
        return 0
    return int(text)


def _parse(session: Session, cons: Consortium, number: int, cells: list[str], year: int | None) -> PlanRow:
    branch_text, year_text, themes, pairing, clinics, topics, points, each_pairing, each_clinics = \
        (cells + [""] * 9)[:9]
    problems: list[str] = []
    branch = org.find_branch(session, cons.id, branch_text) if branch_text else None
    if branch is None:
        problems.append(f"支部「{branch_text}」不存在" if branch_text else "缺少支部")
    row_year = year
    if year_text:
        if not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
            problems.append(f"年度「{year_text}」应为四位年份")
        elif year is not None and int(year_text) != year:
            problems.append(f"年度 {year_text} 与 --year {year} 不符")
        else:
            row_year = int(year_text)
    elif year is None:
        problems.append("缺少年度")
    counts = (_count(pairing, "结对活动次数", problems), _count(clinics, "义诊次数", problems))
    per_pairing = pairing_targets_of(_count(each_pairing, "每个结对单位结对活动次数", problems),
                                     _count(each_clinics, "每个结对单位义诊次数", problems))
    if len(split_list(themes)) > 12:
        problems.append("主题党日主题最多 12 个（每月一个）")
    if problems:
        raise PlanError([(number, "；".join(problems))])
    return PlanRow(branch, row_year, split_list(themes), counts[0], counts[1], split_list(topics), points,
                   per_pairing)


def read_rows(session: Session, cons: Consortium, data: bytes, *, year: int | None = None) -> list[PlanRow]:
    """Every row of the first sheet; PlanError lists every bad row (with its number)."""
    return parse_sheet(data, HEADERS, lambda number, cells: _parse(session, cons, number, cells, year),
                       key=lambda row: (row.branch.id, row.year), duplicate="与第 {row} 行重复（同一支部同一年度）",
                       error=PlanError)


def get_plan(session: Session, branch_id: int, year: int) -> YearPlan | None:
    return session.scalar(select(YearPlan).where(YearPlan.branch_id == branch_id, YearPlan.year == year))


def save_plan(session: Session, branch: Branch, year: int, *, themes: list[str], topics: list[str],
              pairing: int, clinics: int, points: str, per_pairing: dict, now: datetime) -> tuple[YearPlan, bool]:
    """Insert or update; returns (plan, changed). The edited 述职 draft is kept."""
    plan = get_plan(session, branch.id, year)
    targets = targets_of(themes, topics, pairing, clinics)
    if plan is None:
        plan = YearPlan(branch_id=branch.id, year=year, targets={}, pairing_targets={}, points="", themes=[],
                        topics=[], updated_at=now)
        session.add(plan)
    elif (plan.targets, plan.pairing_targets, plan.themes, plan.topics, plan.points) == \
            (targets, per_pairing, themes, topics, points):
        return plan, False
    plan.targets, plan.themes, plan.topics, plan.points, plan.updated_at = targets, themes, topics, points, now
    plan.pairing_targets = per_pairing
    session.flush()
    return plan, True


def import_plans(session: Session, cons: Consortium, data: bytes, *, year: int | None, now: datetime) -> dict:
    """Nothing is written when any row is bad; importing the same file twice changes nothing."""
    rows = read_rows(session, cons, data, year=year)
    changed = sum(save_plan(session, r.branch, r.year, themes=r.themes, topics=r.topics, pairing=r.pairing,
                            clinics=r.clinics, points=r.points, per_pairing=r.per_pairing, now=now)[1] for r in rows)
    return {"rows": len(rows), "changed": changed}


def progress(session: Session, branch_id: int, year: int, settings: Settings, *, now: datetime,
             pairings: bool = True) -> list[tuple]:
    return measures.plan_counts(session, branch_id, year, settings.meetings, settings.tz, now=now, pairings=pairings)


def progress_line(session: Session, branch_id: int, year: int, settings: Settings, *, now: datetime,
                  pairings: bool = True) -> str:
    """年度计划：主题党日 3/12，党课 1/4 … — one line, "" when the branch has no plan. pairings=False leaves
    out the per-pairing targets (a reply that shows them beside each pairing)."""
    rows = progress(session, branch_id, year, settings, now=now, pairings=pairings)
    shown = [f"{name} {done}/{target}" for name, done, target in rows if target]
    return f"{year}年度计划：" + "，".join(shown) if shown else ""


def pairing_progress(session: Session, branch_id: int, year: int) -> dict[int, str]:
    """{unit id: "结对活动 1/4，义诊 0/2"} for the branch's pairings, from the plan's per-pairing targets."""
    rows = measures.pairing_counts(session, get_plan(session, branch_id, year))
    out: dict[int, list[str]] = {}
    for unit_id, _, name, done, target in rows:
        out.setdefault(unit_id, []).append(f"{name} {done}/{target}")
    return {unit_id: "，".join(parts) for unit_id, parts in out.items()}
