"""督办, 考核 and 联席会议 pages in a real browser (Debian's chromium via Playwright) with the demo data:
no script errors, no failed requests; screenshots to test-artifacts/screenshots/."""
from __future__ import annotations

from tests.support.browser import browser  # noqa: F401  (fixture)
from tests.test_admin_browser import PASSWORD, _shot, live_url  # noqa: F401  (fixture)


def test_office_reads_joint_pages_in_a_browser(browser, live_url):
    base, _app = live_url
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("favicon.ico") else None)
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
    page.goto(f"{base}/admin/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/**")
    page.goto(f"{base}/admin/items")
    assert page.locator("text=D-2026-").count() >= 3  # the demo 联席会议's decided items
    assert page.locator("text=已超期").count() >= 1
    _shot(page, "40-joint-items")
    page.goto(f"{base}/admin/scores")
    assert page.locator("text=妇儿党支部").count() >= 1
    _shot(page, "41-joint-scores")
    page.goto(f"{base}/admin/joint-meetings")
    assert page.locator("text=会议已召开").count() == 1  # the demo meeting is past: its record, no draft to send
    assert "外出参加培训" in page.inner_text("#joint-attendance")  # the demo meeting: who came, who was away
    assert "议定需要督办的事项" in page.inner_text("#sent-agenda") and page.locator("#joint-minutes").count() == 1
    first = page.locator("#joint-attendance tbody tr").first
    first.locator("select[name=status]").select_option("leave")
    first.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("text=参会情况已更新").count() == 1
    assert "请假" in page.locator("#joint-attendance tbody tr").first.inner_text()
    assert "为成员单位检修B超机" in page.locator("table").last.inner_text()  # the meeting's decided items
    _shot(page, "42-joint-meetings")
    assert not problems, problems
    context.close()
