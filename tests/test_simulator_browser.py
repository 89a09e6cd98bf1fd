"""A newcomer in a real browser: open /simulator, bind with a demo unit's code, send a request."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from models.message import InboundMessage
from models.task import Task
from tests.conftest import ROOT
from tests.support.browser import browser  # noqa: F401  (fixture)

SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture
def live_app(tmp_path, sqlite_url):
    from werkzeug.serving import make_server

    from bot import create_app
    from services.demo import seed as demo
    from services.org import structure as org
    from tests.conftest import make_settings
    settings = make_settings(tmp_path, sqlite_url)
    app = create_app(settings)
    with app.extensions["tongxin"].session_factory() as session:
        org.sync_org(session, settings)
        demo.seed(session, settings, now=datetime.now(timezone.utc))
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    app.extensions["tongxin"].close()


def test_newcomer_binds_and_submits_in_the_simulator(browser, live_app):  # noqa: F811
    url, app = live_app
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(url + "/simulator")
    page.fill("#openid", "newcomer-1")
    page.locator("#invites code").first.click()  # fills 「绑定 CODE」 for the first demo unit
    assert page.input_value("#text").startswith("绑定 ")
    page.click("#send button")
    page.wait_for_selector(".msg.bot")
    assert "绑定成功" in page.locator(".msg.bot").last.inner_text()
    page.fill("#text", "产科的胎心监护仪不会用，想请县医院妇产科来培训")
    page.click("#send button")
    page.wait_for_function("document.querySelectorAll('.msg.bot').length >= 2")
    reply = page.locator(".msg.bot").last.inner_text()
    assert "T-" in reply and "妇儿党支部" in reply
    page.click(".menu button[data-key=MY_REQUESTS]")
    page.wait_for_function("document.querySelectorAll('.msg.bot').length >= 3")
    assert "待接单" in page.locator(".msg.bot").last.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "20-simulator.png"), full_page=True)
    with app.extensions["tongxin"].session_factory() as s:
        task = s.scalars(select(Task)).one()
        assert task.requester.openid == "newcomer-1" and task.branch.code == "maternal"
        assert s.scalar(select(InboundMessage).where(InboundMessage.content.like("产科%"))).task_id == task.id
    page.close()
