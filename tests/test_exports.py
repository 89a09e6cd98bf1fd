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
    assert bot.main(["export", "reports", "--year", "2026", "--out", str(tmp_path / "r.xlsx")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 12 * len(settings.consortium().branches)
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in sheet[1]][:3] == ["支部", "月份", "状态"]
    assert bot.main(["export", "ledger", "--out", str(tmp_path / "l.pdf")]) != 0


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
