"""Ledger and monthly-report exports: xlsx shape, csv with BOM, and the CLI commands."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Branch
from models.report import MonthlyReport
from services import demo, demo_data, exports, ledger, org

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
    from services import admin_accounts
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))
    assert bot.main(["admin", "create", "--username", "clerk", "--role", "viewer", "--password-stdin"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert (created["username"], created["role"]) == ("clerk", "viewer")
    with session_factory() as session:
        account = admin_accounts.authenticate(session, "clerk", "long-enough-pw", "127.0.0.1", now=NOW)
        assert account.role == "viewer" and "long-enough-pw" not in account.password_hash
