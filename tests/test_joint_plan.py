"""Yearly plans (plan import/template, console edit, progress in 组织生活) and the year-end 述职评议 draft
(printable console page from the records, saved edit, a section of the branch book)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.joint import YearPlan
from models.org import Branch
from models.party import Meeting
from services.shared.spreadsheets import Column, write_workbook
from tests.test_joint import console_login, invoke
from tests.test_meetings import SEC, party  # noqa: F401 (fixture)

HEADERS = ["支部", "年度", "主题党日主题(每月，可用；分隔)", "结对活动次数", "义诊次数", "党课主题", "工作要点"]
GOOD = [["妇儿党支部", "2026", "学习党章；重温入党誓词；=HYPERLINK(\"x\")", "4", "2", "医德医风；廉洁行医", "一、抓学习"],
        ["五官科党支部", "2026", "", "3", "1", "", ""]]


def xlsx(path, rows):
    write_workbook(path, [("计划", [Column(h, 16) for h in HEADERS], rows)])
    return str(path)


def plans_of(session_factory) -> dict:
    with session_factory() as s:
        return {p.branch.code: (p.targets, p.themes, p.topics, p.points)
                for p in s.scalars(select(YearPlan).where(YearPlan.year == 2026))}


@pytest.mark.pg
def test_plan_import_is_idempotent_and_a_bad_row_writes_nothing(demo, settings, session_factory, tmp_path):
    before = plans_of(session_factory)
    bad = invoke(settings, "plan", "import", "--consortium", "linxi", "--file",
                 xlsx(tmp_path / "bad.xlsx", [GOOD[0], ["不存在支部", "2026", "", "x", "", "", ""]]))
    assert bad.exit_code != 0 and "第 3 行" in bad.output and "不存在支部" in bad.output and "结对活动次数" in bad.output
    assert plans_of(session_factory) == before
    good = xlsx(tmp_path / "good.xlsx", GOOD)
    first = invoke(settings, "plan", "import", "--consortium", "linxi", "--file", good)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["changed"] == 2
    again = invoke(settings, "plan", "import", "--consortium", "linxi", "--file", good)
    assert json.loads(again.output) == {"consortium": "linxi", "rows": 2, "changed": 0}
    targets, themes, topics, points = plans_of(session_factory)["maternal"]
    assert targets == {"主题党日": 3, "党课": 2, "结对活动": 4, "义诊": 2}
    assert themes[2] == "=HYPERLINK(\"x\")" and topics == ["医德医风", "廉洁行医"] and points == "一、抓学习"
    out = tmp_path / "t.xlsx"
    assert invoke(settings, "plan", "template", "--out", str(out)).exit_code == 0
    assert [c.value for c in load_workbook(out).worksheets[0][1]][:2] == ["支部", "年度"]


def test_progress_in_the_reply_and_on_the_console_plan_page(app, party, wechat, settings, session_factory,  # noqa: F811
                                                            clock, tmp_path):
    assert invoke(settings, "plan", "import", "--file", xlsx(tmp_path / "p.xlsx", GOOD)).exit_code == 0
    wechat.send("补录 主题党日 12月3日 15:00 会议室 学习党章 到：赵书记、钱委员", user=SEC)
    status = wechat.send("组织生活", user=SEC)
    assert "2026年度计划：主题党日 1/3，党课 0/2，结对活动" in status
    office, token = console_login(app, session_factory, "office", "office", clock.now)
    page = office.get("/admin/plans/maternal?year=2026").get_data(as_text=True)
    assert "学习党章" in page and "<td>主题党日</td><td class=\"num\">1</td><td class=\"num\">3</td>" in page
    form = {"themes": "一月主题\n二月主题", "topics": "", "pairing": "5", "clinics": "x", "points": "", "csrf_token": token}
    office.post("/admin/plans/maternal?year=2026", data=form)
    assert plans_of(session_factory)["maternal"][0]["结对活动"] == 4     # bad count: nothing saved
    office.post("/admin/plans/maternal?year=2026", data={**form, "clinics": "1"})
    assert plans_of(session_factory)["maternal"][0] == {"主题党日": 2, "党课": 0, "结对活动": 5, "义诊": 1}
    viewer, vtoken = console_login(app, session_factory, "viewer", "viewer", clock.now)
    assert viewer.post("/admin/plans/maternal?year=2026", data={**form, "csrf_token": vtoken}).status_code == 403


def test_review_draft_shows_records_saves_an_edit_and_is_in_the_book(app, party, wechat, settings,  # noqa: F811
                                                                     session_factory, clock, tmp_path):
    wechat.send("补录 支委会 12月3日 15:00 会议室 学习 到：赵书记、钱委员", user=SEC)
    with session_factory() as s:
        branch = s.scalar(select(Branch).where(Branch.code == "maternal"))
        held = s.scalar(select(func.count(Meeting.id)).where(Meeting.branch_id == branch.id,
                                                             Meeting.kind == "committee", Meeting.status != "cancelled"))
    assert held >= 1
    office, token = console_login(app, session_factory, "office", "office", clock.now)
    page = office.get("/admin/plans/maternal/review?year=2026").get_data(as_text=True)
    assert f"支委会 {held} 次" in page and "考核得分" in page and "@page { size: A4" in page
    assert "<script" not in page
    edited = "妇儿党支部2026年度述职\n<b>全年</b>召开支委会若干次，已补充不足。"
    assert office.post("/admin/plans/maternal/review?year=2026", data={"text": edited}).status_code == 400
    office.post("/admin/plans/maternal/review?year=2026", data={"text": edited, "csrf_token": token})
    page = office.get("/admin/plans/maternal/review?year=2026").get_data(as_text=True)
    assert "已补充不足" in page and "&lt;b&gt;全年" in page and "已编辑的稿件" in page
    data = office.get("/admin/orglife/branches/maternal/book.zip?year=2026").get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "已补充不足" in z.read("述职评议.txt").decode("utf-8-sig")
        sheet = load_workbook(io.BytesIO(z.read("台账.xlsx")))["述职评议"]
        assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)][1].startswith("<b>全年</b>")
    out = tmp_path / "book.zip"
    assert invoke(settings, "export", "branch-book", "--branch", "maternal", "--year", "2026",
                  "--out", str(out)).exit_code == 0
    assert "已补充不足" in zipfile.ZipFile(out).read("述职评议.txt").decode("utf-8-sig")
