"""The 组织生活 pages in a real browser (Debian's chromium via Playwright): matrix, branch page, meeting page
with thumbnails loaded under the CSP, roster, and the printed book page; screenshots to test-artifacts/screenshots/."""
from __future__ import annotations

import zipfile

from tests.support.browser import browser  # noqa: F401  (fixture)
from tests.test_admin_browser import PASSWORD, _shot, live_url  # noqa: F401  (fixture)


def test_office_reads_org_life_pages_in_a_browser(browser, live_url, tmp_path):
    base, _app = live_url
    context = browser.new_context(viewport={"width": 1366, "height": 860}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and not r.url.endswith("favicon.ico")
            else None)
    page.goto(f"{base}/admin/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/**")
    page.goto(f"{base}/admin/orglife?kind=committee")
    assert page.locator("#orglife-matrix tbody tr").count() >= 10
    _shot(page, "30-orglife-matrix")
    page.click("#orglife-matrix tr[data-branch=maternal] a")
    page.wait_for_url("**/orglife/branches/maternal**")
    assert page.locator("#participation tbody tr").count() >= 6
    _shot(page, "31-orglife-branch")
    page.locator("#meetings tbody tr a").first.click()
    page.wait_for_url("**/admin/meetings/M-**")
    page.wait_for_function("[...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("img.thumb").count() >= 1
    _shot(page, "32-orglife-meeting")
    page.goto(f"{base}/admin/roster?branch=maternal")
    page.select_option("select[name=branch]", "surgery")
    page.wait_for_url("**branch=surgery**")
    page.fill("#add-member input[name=name]", "浏览器党员")
    page.click("#add-member button[type=submit]")
    page.wait_for_selector("text=已保存 浏览器党员")
    _shot(page, "33-roster")
    page.goto(f"{base}/admin/orglife/branches/maternal")
    with page.expect_download() as info:
        page.click("#book-button")
    book = tmp_path / "book.zip"
    info.value.save_as(book)
    folder = tmp_path / "book"
    zipfile.ZipFile(book).extractall(folder)
    printed = context.new_page()
    printed.goto((folder / "index.html").as_uri())
    printed.emulate_media(media="print")
    _shot(printed, "34-orglife-book-print")
    assert not errors, errors
    context.close()
