"""Exports for the office: the ledger and the monthly-report matrix as .xlsx and .csv.

Every file is written by services.spreadsheets, which keeps user text as text.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.org import Consortium
from services.tasks import ledger
from services.shared.spreadsheets import CSV_DATE, DATE_FORMAT, Column, write_csv, write_workbook  # noqa: F401

FORMATS = ("xlsx", "csv")

LEDGER_COLUMNS = (Column("编号", 15), Column("提交时间", 17, True), Column("成员单位", 20), Column("反映人", 10),
                  Column("诉求内容", 48), Column("承办支部", 15), Column("路由关键词", 22), Column("状态", 8),
                  Column("接单时间", 17, True), Column("办结时间", 17, True), Column("办结说明", 36),
                  Column("评价", 6), Column("是否超期", 8))
CONSORTIUM_COLUMN = Column("医共体", 16)  # last column of an export that spans every consortium


def format_for(path: str | Path) -> str:
    """"xlsx" or "csv" from a file name; ValueError otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"unsupported export format {suffix!r} (use .xlsx or .csv)")
    return suffix


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0) if value else None


def ledger_values(row: ledger.LedgerRow, tz: ZoneInfo, *, with_consortium: bool = False) -> list[Any]:
    values = [row.number, _local(row.created_at, tz), row.unit, row.requester, row.text, row.branch, row.keywords,
              row.status_label, _local(row.accepted_at, tz), _local(row.resolved_at, tz), row.resolution_note,
              row.rating, "是" if row.overdue and row.status in ("routed", "accepted") else ""]
    return values + [row.consortium] if with_consortium else values


def write_xlsx(out: IO[bytes] | Path, title: str, columns: Iterable[Column], rows: Iterable[list[Any]]) -> int:
    """Write one sheet; returns the number of data rows."""
    return write_workbook(out, [(title, columns, rows)])


def export_ledger(session: Session, flt: ledger.LedgerFilter, tz: ZoneInfo, out: IO[bytes] | Path,
                  fmt: str) -> int:
    """The ledger rows matching `flt`, oldest first; returns the row count. Without a consortium in `flt`
    (every consortium) a last column names each row's consortium."""
    every = flt.consortium_id is None
    columns = LEDGER_COLUMNS + ((CONSORTIUM_COLUMN,) if every else ())
    rows = (ledger_values(r, tz, with_consortium=every) for r in ledger.iter_rows(session, flt, tz))
    if fmt == "csv":
        return write_csv(out, columns, rows)
    return write_xlsx(out, f"台账{flt.month}" if flt.month else "台账", columns, rows)


def ledger_filename(flt: ledger.LedgerFilter, fmt: str) -> str:
    return f"台账-{flt.month or '全部'}.{fmt}"


# --- monthly reports (月报) matrix --------------------------------------------

REPORT_STATE_LABELS = {"filed": "已报", "late": "迟报", "missing": "未报", "pending": "—"}
COUNT_LABELS = {"activities": "活动", "clinics": "义诊", "clinic_people": "义诊人次", "trainings": "培训",
                "lectures": "讲座", "problems": "解决问题"}


def report_matrix(session: Session, consortium_id: int, year: int, *, today_period: str) -> list[dict]:
    """Per branch, twelve cells {period, state, counts}: filed / late / missing (month over, none) / pending."""
    from models.org import Branch
    from models.report import MonthlyReport
    from sqlalchemy import select
    branches = session.scalars(select(Branch).where(Branch.consortium_id == consortium_id).order_by(Branch.id)).all()
    reports = {(r.branch_id, r.period): r for r in session.scalars(
        select(MonthlyReport).where(MonthlyReport.period.like(f"{year:04d}-%"))).all()}
    matrix = []
    for b in branches:
        cells = []
        for m in range(1, 13):
            period = f"{year:04d}-{m:02d}"
            rep = reports.get((b.id, period))
            state = ("late" if rep.late else "filed") if rep else ("missing" if period < today_period else "pending")
            cells.append({"period": period, "state": state, "counts": dict(rep.counts or {}) if rep else {},
                          "filed_at": rep.filed_at if rep else None})
        matrix.append({"code": b.code, "name": b.name, "cells": cells,
                       "missing": sum(c["state"] == "missing" for c in cells)})
    return matrix


def report_values(matrix: list[dict], tz: ZoneInfo) -> Iterable[list[Any]]:
    for row in matrix:
        for cell in row["cells"]:
            yield [row["name"], cell["period"], REPORT_STATE_LABELS[cell["state"]], _local(cell["filed_at"], tz),
                   *[cell["counts"].get(k) for k in COUNT_LABELS]]


REPORT_COLUMNS = (Column("支部", 16), Column("月份", 9), Column("状态", 7), Column("报送时间", 17, True),
                  *[Column(label, 9) for label in COUNT_LABELS.values()])


def export_reports(session: Session, consortium_id: int, year: int, tz: ZoneInfo, out: IO[bytes] | Path,
                   fmt: str, *, today_period: str) -> int:
    """One row per branch and month of `year`; returns the row count."""
    rows = report_values(report_matrix(session, consortium_id, year, today_period=today_period), tz)
    if fmt == "csv":
        return write_csv(out, REPORT_COLUMNS, rows)
    return write_xlsx(out, f"{year}年月报", REPORT_COLUMNS, rows)


def export_reports_by_consortium(session: Session, consortia: list[Consortium], year: int, tz: ZoneInfo,
                                 out: IO[bytes] | Path, fmt: str, *, today_period: str) -> int:
    """The report matrix of each consortium: a sheet each (xlsx), or one csv with a 医共体 column when
    there are several; returns the row count."""
    matrices = [(c, report_matrix(session, c.id, year, today_period=today_period)) for c in consortia]
    if fmt == "csv":
        several = len(consortia) > 1
        rows = (values + [c.name] if several else values for c, m in matrices for values in report_values(m, tz))
        return write_csv(out, REPORT_COLUMNS + ((CONSORTIUM_COLUMN,) if several else ()), rows)
    return write_workbook(out, [(f"{c.name}{year}年月报", REPORT_COLUMNS, report_values(m, tz))
                                for c, m in matrices])
