"""Hostile names and request text in a real browser: no console page runs any of it (issue #15, item 2).

Every `dialog` event (alert, confirm, prompt) is recorded; the only one allowed is the unbind button's
confirm, whose question must show the hostile name as plain text.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from models.org import Person
from models.outbox import OutboxMessage
from models.task import Task
from tests.support.browser import browser, demo_app, served  # noqa: F401  (fixture)

PASSWORD = "browser-pass-9"
HOSTILE_NAMES = ["'+alert(document.domain)+'", "<img src=x onerror=alert(1)>", '"><script>alert(1)</script>']
HOSTILE_TEXT = "设备坏了'+alert(document.domain)+'<img src=x onerror=alert(2)>\"><script>alert(3)</script>"
PAGES = ("/admin/", "/admin/ledger", "/admin/ledger?q=%27%2Balert(1)%2B%27", "/admin/people", "/admin/outbox",
         "/admin/reports", "/admin/schedules", "/admin/pairings", "/admin/activities", "/admin/needs",
         "/admin/summary", "/admin/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")


@pytest.fixture
def hostile_console(tmp_path, sqlite_url):
    """The real app served on a free port: demo data where every bound name and request text is hostile."""
    app = demo_app(tmp_path, sqlite_url, PASSWORD)
    now = datetime.now(timezone.utc)
    with app.extensions["tongxin"].session_factory() as session:
        for i, person in enumerate(session.scalars(select(Person).where(Person.role.is_not(None)))):
            person.name = HOSTILE_NAMES[i % len(HOSTILE_NAMES)]
        for task in session.scalars(select(Task)):
            task.text = HOSTILE_TEXT
        session.add(OutboxMessage(to_openid="demo-member-BSZ", kind="task_update", text=HOSTILE_TEXT,
                                  status="failed", created_at=now, attempts=5, last_error=HOSTILE_TEXT))
        session.commit()
        number = session.scalars(select(Task.number).order_by(Task.id)).first()
    with served(app) as base:
        yield base, number
    app.extensions["tongxin"].close()


def test_hostile_names_and_texts_run_no_script_on_any_console_page(browser, hostile_console):
    base, number = hostile_console
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    accept_confirm = {"yes": False}

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        if dialog.type == "confirm" and accept_confirm["yes"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{base}/admin/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    for path in (*PAGES, f"/admin/tasks/{number}"):
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert page.locator("h1, form").count() > 0, path
        assert dialogs == [], path
    page.goto(f"{base}/admin/")
    page.wait_for_function("window.Chart !== undefined && Chart.getChart(document.getElementById('branchChart'))")
    page.goto(f"{base}/admin/people")
    assert HOSTILE_NAMES[0] in page.inner_text("body")  # shown, as text

    unbind = page.locator("form[data-confirm^='确定解除'] button").first
    question = unbind.locator("xpath=..").get_attribute("data-confirm")
    unbind.click()  # dismissed: nothing is unbound, nothing runs
    page.wait_for_timeout(300)
    assert dialogs == [f"confirm: {question}"] and question in {f"确定解除 {n} 的绑定？" for n in HOSTILE_NAMES}
    assert page.url == f"{base}/admin/people"
    dialogs.clear()
    accept_confirm["yes"] = True
    page.locator("form[data-confirm^='确定解除'] button").first.click()
    page.wait_for_selector(".flash.ok")
    assert "已解除" in page.inner_text(".flash.ok")
    assert len(dialogs) == 1 and dialogs[0].startswith("confirm: 确定解除")
    context.close()
