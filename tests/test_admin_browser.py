"""The console in a real browser: Playwright driving Debian's chromium against the real app.

Never downloads a browser: /usr/bin/chromium is installed with apt when absent. Screenshots
of every page (laptop and phone widths) go to test-artifacts/screenshots/.
"""
from __future__ import annotations

from datetime import datetime

import pytest


from tests.conftest import ROOT
from tests.support.browser import browser, demo_app, served  # noqa: F401  (fixture)

SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser-pass-9"


@pytest.fixture
def live_url(tmp_path, sqlite_url):
    """The real app (demo data, an office account) served by werkzeug on a free local port."""
    app = demo_app(tmp_path, sqlite_url, PASSWORD)
    with served(app) as base:
        yield base, app


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_office_works_the_ledger_in_a_browser(browser, live_url, tmp_path):
    from openpyxl import load_workbook
    base, app = live_url
    context = browser.new_context(viewport={"width": 1366, "height": 860}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/admin/ledger")
    assert "/admin/login" in page.url
    _shot(page, "01-login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/ledger*")
    page.goto(f"{base}/admin/")
    page.wait_for_function("document.querySelectorAll('canvas').length === 2 && window.Chart !== undefined")
    _shot(page, "02-dashboard")

    page.goto(f"{base}/admin/ledger")
    _shot(page, "03-ledger")
    page.select_option("select[name=branch]", "maternal")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**branch=maternal**")
    branches = page.locator("tbody tr td:nth-child(6)").all_inner_texts()
    assert branches and set(branches) == {"妇儿党支部"}
    _shot(page, "04-ledger-filtered")

    row = page.locator("tbody tr", has=page.locator("span.s-routed")).first
    number = row.get_attribute("data-number")
    row.locator("a").first.click()
    page.wait_for_url(f"**/admin/tasks/{number}")
    page.select_option("#reassign select[name=branch]", "nursing")
    page.fill("#reassign input[name=note]", "需要护理部带教")
    page.click("#reassign button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert page.inner_text("#task-branch") == "护理党支部"
    _shot(page, "05-task-reassigned")

    page.goto(f"{base}/admin/ledger?branch=nursing")
    with page.expect_download() as info:
        page.click("#export-xlsx")
    target = tmp_path / "ledger.xlsx"
    info.value.save_as(target)
    sheet = load_workbook(target).active
    assert sheet["A1"].value == "编号" and sheet.freeze_panes == "A2"
    numbers = [r[0].value for r in sheet.iter_rows(min_row=2)]
    assert number in numbers
    assert isinstance(sheet["B2"].value, datetime)

    for name, path in (("06-people", "/admin/people"), ("07-outbox", "/admin/outbox"), ("08-reports", "/admin/reports")):
        page.goto(base + path)
        assert page.locator("h1").count() == 1
        _shot(page, name)
    page.on("dialog", lambda dialog: dialog.accept())  # 催报 asks for confirmation
    page.goto(f"{base}/admin/reports")
    missing = page.locator("#missing .badge").count()
    assert missing > 0 and "一键催报" in page.inner_text("#urge-button")
    page.click("#urge-button")
    page.wait_for_selector(".flash.ok")
    assert f"已向 {missing} 个支部发送催报" in page.inner_text(".flash.ok")
    assert page.locator("#reminder-log tbody tr").count() == missing
    _shot(page, "11-reports-urged")
    page.goto(f"{base}/admin/schedules")
    page.fill("#event-form input[name=title]", "季度结对共建联席会议")
    page.fill("#event-form input[name=at]", "2099-06-18T14:30")
    page.fill("#event-form input[name=before]", "3d,1h")
    page.click("#event-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "季度结对共建联席会议" in page.inner_text("#events")
    assert page.locator("#schedules tbody tr").count() >= 10
    _shot(page, "12-schedules")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                storage_state=context.storage_state())
    mobile = phone.new_page()
    for name, path in (("09-phone-dashboard", "/admin/"), ("10-phone-ledger", "/admin/ledger"),
                       ("13-phone-schedules", "/admin/schedules")):
        mobile.goto(base + path)
        mobile.wait_for_load_state("networkidle")
        _shot(mobile, name)
    phone.close()
    context.close()
