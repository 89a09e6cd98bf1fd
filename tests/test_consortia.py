"""Several consortia in one deployment: one consortium's data never appears in another's WeChat
replies, console pages or exports; the bureau role sees all of them side by side."""
from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Consortium
from models.task import Task
from services.org import accounts as admin_accounts

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct-horse-9"
LX_SEC, QH_SEC = "demo-sec-public_health", "demo-sec-qinghe-internal"
LX_OFFICE, QH_OFFICE = "demo-office-linxi", "demo-office-qinghe"
LX_MARK, QH_MARK = "接诊6173", "接诊8291"  # numbers that identify each consortium's activity


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def two(app, wechat, demo, clock, session_factory):
    """An activity and a request in each consortium; console accounts for both offices and the bureau."""
    clock.now = at(2026, 12, 6, 10, 0)
    wechat.send(f"义诊 2026-12-05 白沙村卫生室 {LX_MARK}", user=LX_SEC)
    wechat.send("确认", user=LX_SEC)
    wechat.send(f"义诊 2026-12-05 清河镇卫生院 {QH_MARK} 石榴讲堂", user=QH_SEC)
    wechat.send("确认", user=QH_SEC)
    wechat.send("临溪这边B超机坏了需要维修", user="demo-member-BSZ")
    wechat.send("清河这边心电图机没有纸了", user="demo-member-QHZ")
    with session_factory() as s:
        qinghe = s.scalar(select(Consortium).where(Consortium.code == "qinghe"))
        admin_accounts.create_account(s, "lx", PASSWORD, role="office", now=clock.now)
        admin_accounts.create_account(s, "qh", PASSWORD, role="office", now=clock.now, consortium_id=qinghe.id)
        admin_accounts.create_account(s, "bureau", PASSWORD, role="bureau", now=clock.now)
        numbers = {t.unit.code: t.number for t in s.scalars(select(Task))}
        s.commit()
    return numbers


def login(app, username: str):
    client = app.test_client()
    client.get("/admin/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    assert client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token}).status_code == 302
    return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def workbook_text(data: bytes) -> tuple[list[str], str]:
    wb = load_workbook(io.BytesIO(data))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    return wb.sheetnames, " ".join(cells)


def test_wechat_replies_stay_within_the_consortium(two, wechat):
    lx, qh = wechat.send("四个一", user=LX_OFFICE), wechat.send("四个一", user=QH_OFFICE)
    assert "白沙" in lx and "清河镇" not in lx and "办实事 1/17" in lx  # 17 pairings in 临溪, 7 in 清河
    assert "清河镇卫生院" in qh and "白沙" not in qh and "柳" not in qh and "办实事 1/7" in qh
    assert "没有找到诉求" in wechat.send(f"需求 {two['QHZ']}", user=LX_OFFICE)
    assert "清河" not in wechat.send("待分派", user=LX_OFFICE)
    assert "【单位】" in wechat.send("义诊 2026-12-05 清河镇卫生院 接诊1", user=LX_SEC)
    mine = wechat.send("结对", user=QH_SEC)
    assert "清河镇卫生院" in mine and "白沙" not in mine


def test_console_pages_show_only_the_accounts_consortium(app, two):
    lx, qh = login(app, "lx"), login(app, "qh")
    for path in ("/admin/pairings", "/admin/activities", "/admin/needs", "/admin/summary", "/admin/ledger",
                 "/admin/people", "/admin/"):
        lx_page, qh_page = page(lx, path), page(qh, path)
        assert "清河" not in lx_page and "8291" not in lx_page, path
        assert "白沙" not in qh_page and "6173" not in qh_page and "临溪" not in qh_page, path
    assert "6173" in page(lx, "/admin/activities") and "8291" in page(qh, "/admin/activities")
    assert page(lx, "/admin/pairings").count('<td class="m-filed">1/1</td>') == 1  # the 义诊 counts as 办实事
    assert lx.get(f"/admin/tasks/{two['QHZ']}").status_code == 404
    assert qh.get(f"/admin/tasks/{two['BSZ']}").status_code == 404
    assert qh.get("/admin/ledger?branch=maternal").status_code == 200
    assert lx.get("/admin/bureau").status_code == 403


def test_exports_hold_only_the_accounts_consortium(app, two):
    names, text = workbook_text(login(app, "lx").get("/admin/summary/export.xlsx?year=2026").data)
    assert names == ["临溪县医共体2026年"] and "6173" in text and "8291" not in text
    names, text = workbook_text(login(app, "qh").get("/admin/summary/export.xlsx?year=2026").data)
    assert names == ["清河县医共体2026年"] and "8291" in text and "6173" not in text
    ledger = login(app, "qh").get("/admin/ledger/export.csv").data.decode("utf-8-sig")
    assert "心电图机" in ledger and "B超机" not in ledger


def test_bureau_sees_every_consortium_side_by_side(app, two):
    bureau = login(app, "bureau")
    overview = page(bureau, "/admin/bureau?year=2026")
    assert "临溪县医共体" in overview and "清河县医共体" in overview and "各医共体总览" in overview
    assert overview.count("<td>17</td>") == 1 and overview.count("<td>7</td>") == 1  # pairings side by side
    names, text = workbook_text(bureau.get("/admin/bureau/export.xlsx?year=2026").data)
    assert names == ["汇总", "临溪县医共体", "清河县医共体"] and "6173" in text and "8291" in text
    assert "8291" in page(bureau, "/admin/activities?consortium=qinghe")
    assert "8291" not in page(bureau, "/admin/activities?consortium=linxi")


def test_cli_summary_export_per_consortium(app, two, settings, tmp_path, monkeypatch):
    import bot
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    out = tmp_path / "summary.xlsx"
    result = CliRunner().invoke(bot.cli, ["export", "summary", "--year", "2026", "--out", str(out),
                                          "--consortium", "qinghe"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"out": str(out), "format": "xlsx", "year": 2026, "consortia": ["qinghe"],
                                         "rows": 10}
    names, text = workbook_text(out.read_bytes())
    assert names == ["清河县医共体2026年"] and "8291" in text and "6173" not in text
    bad = CliRunner().invoke(bot.cli, ["export", "summary", "--year", "2026", "--out", str(tmp_path / "s.csv")])
    assert bad.exit_code != 0 and "--out" in bad.output


def test_console_header_names_the_bureau_and_the_summary_says_what_it_holds(app, two):
    bureau = page(login(app, "bureau"), "/admin/bureau?year=2026")
    assert "卫健局 · 各医共体" in bureau and "医共体党委办公室" not in bureau
    summary = page(login(app, "qh"), "/admin/summary?year=2026")
    assert "述职评议材料" not in summary and "各支部服务统计" in summary
