"""The one writer of every export (.xlsx and .csv): user text always lands as text, never as a formula.

xlsx: Chinese headers in bold on a frozen first row, real date cells (local time,
Excel has no time zones), sensible column widths, and every string a string cell
(openpyxl would otherwise store "=HYPERLINK(...)" as a live formula); a string that
starts like a formula also gets Excel's quote prefix, so that editing the cell keeps
it text. csv: UTF-8 with a BOM so that Excel opens the Chinese text correctly, and
OWASP's prefix `'` before any value starting with = + - @ tab or CR.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

DATE_FORMAT = "yyyy-mm-dd hh:mm"
CSV_DATE = "%Y-%m-%d %H:%M"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Sheet = tuple[str, Iterable["Column"], Iterable[list[Any]]]


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    is_date: bool = False


def looks_like_formula(value: Any) -> bool:
    """A string a spreadsheet would evaluate (OWASP CSV injection: = + - @ tab CR first)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: Any) -> Any:
    """One csv field: dates as "YYYY-MM-DD HH:MM", None empty, formula-like text prefixed with '."""
    if isinstance(value, datetime):
        return value.strftime(CSV_DATE)
    if value is None:
        return ""
    return "'" + value if looks_like_formula(value) else value


def _text_cells(row) -> None:
    """Every string of an appended row is a string cell; formula-like ones keep Excel's quote prefix."""
    for cell in row:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if looks_like_formula(cell.value):
                cell.quotePrefix = True


def write_workbook(out: IO[bytes] | Path, sheets: Iterable[Sheet]) -> int:
    """One styled sheet per (title, columns, rows); returns the number of data rows of all sheets."""
    wb = Workbook()
    wb.remove(wb.active)
    count = sum(_sheet(wb, title, list(columns), rows) for title, columns, rows in sheets)
    if not wb.worksheets:
        wb.create_sheet("空")
    wb.save(out)
    return count


def _sheet(wb: Workbook, title: str, columns: list[Column], rows: Iterable[list[Any]]) -> int:
    ws = wb.create_sheet(title[:31])
    ws.append([c.header for c in columns])
    header_fill = PatternFill("solid", fgColor="E8EEF7")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
    _text_cells(ws[1])
    count = 0
    for values in rows:
        ws.append(values)
        count += 1
        _text_cells(ws[count + 1])
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = col.width
        if col.is_date:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = DATE_FORMAT
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    return count


def write_csv(out: IO[bytes] | Path, columns: Iterable[Column], rows: Iterable[list[Any]]) -> int:
    """UTF-8 with BOM; returns the number of data rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_value(c.header) for c in columns])
    count = 0
    for values in rows:
        writer.writerow([csv_value(v) for v in values])
        count += 1
    data = buffer.getvalue().encode("utf-8-sig")
    if isinstance(out, Path):
        out.write_bytes(data)
    else:
        out.write(data)
    return count


def cell_text(value: Any) -> str:
    """A read cell as stripped text (None -> "", 3.0 -> "3")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_first_sheet(data: bytes) -> list[list[str]]:
    """Every row of an xlsx's first sheet as text cells; ValueError when the bytes are no xlsx."""
    from openpyxl import load_workbook
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a file that is no xlsx
        raise ValueError(f"无法读取 xlsx 文件（{exc.__class__.__name__}）") from None
    return [[cell_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]


class SheetError(ValueError):
    """An import refused as a whole: `problems` lists (row number or 0, Chinese reason); nothing is written."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("; ".join(f"row {r}: {p}" if r else p for r, p in problems))


def parse_sheet(data: bytes, headers: tuple[str, ...], parse_row, key, duplicate: str,
                error: type[SheetError] = SheetError) -> list:
    """The first sheet's rows through `parse_row(number, cells)`; every bad or repeated row is collected and
    raised together as `error`, so a file with one bad row writes nothing. `key(row)` finds repeats;
    `duplicate` names the earlier row ("与第 {row} 行重复…")."""
    try:
        rows = read_first_sheet(data)
    except ValueError as exc:
        raise error([(0, str(exc))]) from None
    if not rows or rows[0][:2] != list(headers[:2]):
        raise error([(1, "第一行应为表头：" + "、".join(headers))])
    parsed, problems, seen = [], [], {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cells):
            continue
        try:
            row = parse_row(number, cells)
        except SheetError as exc:
            problems += exc.problems
            continue
        if key(row) in seen:
            problems.append((number, duplicate.format(row=seen[key(row)])))
            continue
        seen[key(row)] = number
        parsed.append(row)
    if problems:
        raise error(problems)
    return parsed
