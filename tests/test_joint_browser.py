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
    assert page.locator("textarea").count() >= 1
    _shot(page, "42-joint-meetings")
    assert not problems, problems
    context.close()
