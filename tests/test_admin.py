"""The /admin console through Flask's test client: pages, permissions, CSRF, login rate limit."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from models.outbox import OutboxMessage
from models.task import RoutingCorrection, Task
from services.org import accounts as admin_accounts
from services.demo import sample_requests as demo_data

NOW = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)  # 11:00 in Shanghai
PASSWORD = "correct-horse-9"


@pytest.fixture
def console(app, settings, clock, demo, session_factory):
    """Demo people, a month of demo requests, an office and a viewer account."""
    clock.now = NOW
    with session_factory() as session:
        demo_data.seed_requests(session, 1, now=NOW, tz=settings.tz, count=60)
        admin_accounts.create_account(session, "office", PASSWORD, role="office", now=NOW)
        admin_accounts.create_account(session, "viewer", PASSWORD, role="viewer", now=NOW)
        session.commit()
    return app


def csrf(client) -> str:
    client.get("/admin/login")
    with client.session_transaction() as sess:
        return sess["csrf"]


def login(client, username: str = "office", password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf(client)}, environ_base={"REMOTE_ADDR": ip})


def open_task(session_factory) -> Task:
    with session_factory() as session:
        return session.scalars(select(Task).where(Task.status == "routed").order_by(Task.id)).first()


def test_logged_out_user_is_redirected_to_login(console):
    client = console.test_client()
    for path in ("/admin/", "/admin/ledger", "/admin/people", "/admin/outbox", "/admin/reports",
                 "/admin/ledger/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")


def test_every_page_renders_for_office(console, session_factory):
    client = console.test_client()
    assert login(client).status_code == 302
    number = open_task(session_factory).number
    pages = {"/admin/": "概览", "/admin/ledger": "诉求台账", "/admin/people": "人员与单位",
             "/admin/outbox": "消息发送", "/admin/reports": "支部月报", f"/admin/tasks/{number}": "改派"}
    for path, title in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert title in response.get_data(as_text=True)
    dashboard = client.get("/admin/?month=2026-12").get_data(as_text=True)
    assert "chart.umd.min.js" in dashboard and "平均评价" in dashboard
    assert client.get("/admin/static/vendor/chart.umd.min.js").status_code == 200


def test_ledger_filters_and_pages(console):
    client = console.test_client()
    login(client)
    everything = client.get("/admin/ledger").get_data(as_text=True)
    assert "下一页" in everything  # 120 requests, 50 a page
    maternal = client.get("/admin/ledger?branch=maternal").get_data(as_text=True)
    assert "妇儿党支部" in maternal and "急诊急救党支部</td>" not in maternal
    found = client.get("/admin/ledger?q=胎心监护").get_data(as_text=True)
    assert "胎心监护仪" in found and "白内障" not in found
    nothing = client.get("/admin/ledger?q=完全不存在的内容").get_data(as_text=True)
    assert "没有符合条件的诉求" in nothing


def test_office_reassigns_and_records_a_routing_correction(console, session_factory):
    client = console.test_client()
    login(client)
    task = open_task(session_factory)
    target = "logistics" if task.branch.code != "logistics" else "admin"
    response = client.post(f"/admin/tasks/{task.number}/reassign",
                           data={"branch": target, "note": "属于信息科", "csrf_token": csrf(client)})
    assert response.status_code == 302
    assert "已将" in client.get(response.headers["Location"]).get_data(as_text=True)
    with session_factory() as session:
        moved = session.get(Task, task.id)
        assert moved.branch.code == target and moved.status == "routed"
        correction = session.scalars(select(RoutingCorrection).where(RoutingCorrection.task_id == task.id)).one()
        assert (correction.from_branch, correction.to_branch) == (task.branch.code, target)
        notified = session.scalars(select(OutboxMessage.to_openid).where(OutboxMessage.created_at == NOW)).all()
        assert f"demo-sec-{target}" in notified and task.requester.openid in notified


def test_viewer_cannot_reassign(console, session_factory):
    client = console.test_client()
    login(client, "viewer")
    task = open_task(session_factory)
    assert "只读账号不能改派" in client.get(f"/admin/tasks/{task.number}").get_data(as_text=True)
    response = client.post(f"/admin/tasks/{task.number}/reassign",
                           data={"branch": "logistics", "csrf_token": csrf(client)})
    assert response.status_code == 403
    with session_factory() as session:
        assert session.get(Task, task.id).branch_id == task.branch_id


def test_post_without_csrf_token_is_400(console, session_factory):
    client = console.test_client()
    login(client)
    task = open_task(session_factory)
    assert client.post(f"/admin/tasks/{task.number}/reassign", data={"branch": "logistics"}).status_code == 400
    assert client.post(f"/admin/tasks/{task.number}/reassign",
                       data={"branch": "logistics", "csrf_token": "forged"}).status_code == 400
    fresh = console.test_client()
    assert fresh.post("/admin/login", data={"username": "office", "password": PASSWORD}).status_code == 400


def test_people_page_creates_invite_with_qr_and_unbinds(console, session_factory):
    from models.org import Invite, Person
    client = console.test_client()
    login(client)
    response = client.post("/admin/invites", data={"role": "secretary", "branch": "eye_ent",
                                                   "csrf_token": csrf(client)})
    assert response.status_code == 302
    with session_factory() as session:
        invite = session.scalars(select(Invite).where(Invite.role == "secretary")).one()
        member = session.scalar(select(Person).where(Person.openid == "demo-member-BSZ"))
    png = client.get(f"/admin/invites/{invite.code}.png?download=1")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert "attachment" in png.headers["Content-Disposition"]
    assert client.post(f"/admin/people/{member.id}/unbind", data={"csrf_token": csrf(client)}).status_code == 302
    with session_factory() as session:
        assert session.get(Person, member.id).role is None


def test_outbox_retry_requeues_a_failed_message(console, session_factory):
    client = console.test_client()
    with session_factory() as session:
        row = OutboxMessage(to_openid="demo-member-BSZ", kind="task_update", text="测试", status="failed",
                            created_at=NOW, attempts=5, last_error="45015 response out of time limit")
        session.add(row)
        session.commit()
    login(client)
    assert "45015" in client.get("/admin/outbox").get_data(as_text=True)
    assert client.post(f"/admin/outbox/{row.id}/retry", data={"csrf_token": csrf(client)}).status_code == 302
    with session_factory() as session:
        assert session.get(OutboxMessage, row.id).status in ("queued", "sandbox")


def test_logout_needs_login_again(console):
    client = console.test_client()
    login(client)
    assert client.post("/admin/logout", data={"csrf_token": csrf(client)}).status_code == 302
    assert client.get("/admin/ledger").status_code == 302


@pytest.mark.pg
def test_office_urges_missing_branches_once_a_day_and_sees_the_reminder_log(console, settings, session_factory):
    from zoneinfo import ZoneInfo

    from models.org import Branch, Person
    from models.report import MonthlyReport
    from scheduler import jobs
    schedule = next(s for s in settings.schedules if s.name == "report_reminder")
    with session_factory() as session:
        jobs.fire_at(session, settings, schedule, datetime(2026, 11, 25, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
        filed = session.scalar(select(Branch).where(Branch.code == "nursing", Branch.consortium_id == 1))
        session.add(MonthlyReport(branch_id=filed.id, period="2026-11", counts={"activities": 1}, text="活动1次",
                                  late=False, filed_at=NOW, updated_at=NOW))
        linxi_secretaries = session.scalar(select(func.count()).select_from(Person).where(
            Person.role == "secretary", Person.consortium_id == 1))
        every_secretary = session.scalar(select(func.count()).select_from(Person).where(Person.role == "secretary"))
        session.commit()
    client = console.test_client()
    login(client)
    page = client.get("/admin/reports?period=2026-11").get_data(as_text=True)
    assert "2026年11月未报送（9）" in page and "一键催报（9 个支部）" in page and "护理党支部</span>" not in page
    assert "月报提醒" in page and f'<td class="num">{linxi_secretaries}</td>' in page
    response = client.post("/admin/reports/urge", data={"period": "2026-11", "csrf_token": csrf(client)})
    assert response.status_code == 302 and "period=2026-11" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已向 9 个支部发送催报" in page and page.count("<b>催报</b> · ") == 9
    with session_factory() as session:
        urged = [m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
                 if m.payload.get("schedule") == "urge"]
    assert len(urged) == 9 and {m.to_openid for m in urged} == {
        f"demo-sec-{code}" for code in ("admin", "internal", "surgery", "maternal", "medtech", "eye_ent",
                                        "emergency", "public_health", "logistics")}
    assert "【催报】" in urged[0].text and "2026年11月" in urged[0].text
    again = client.post("/admin/reports/urge", data={"period": "2026-11", "csrf_token": csrf(client)})
    assert "今天已催报过、未重复发送" in client.get(again.headers["Location"]).get_data(as_text=True)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "reminder")) == len(urged) + every_secretary
