"""The console's schedules and events page, 催报 with its reminder log, and the consortium scoping of both."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import create_app
from core.config import load_settings
from models.org import Consortium, Person
from models.outbox import OutboxMessage
from models.schedule import Event
from scheduler import jobs
from services.org import accounts as admin_accounts
from services.demo import seed as demo
from services.org import structure as org
from tests.conftest import config_yaml

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)  # Tuesday 11:00 in Shanghai
PASSWORD = "correct-horse-9"
QINGHE_ONLY = {"name": "qinghe_audit", "to": "secretaries", "consortium": "qinghe",
               "when": {"day": 18, "time": "10:00"}, "text": "【清河专项督查】{branch}：{date}前提交{period}督查材料。"}


@pytest.fixture
def scoped(tmp_path, db_url, clock):
    """The app with one extra schedule for qinghe only; demo people; linxi/qinghe office and viewer accounts."""
    settings = load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": db_url},
                             overrides={"schedules": [*config_yaml()["schedules"], QINGHE_ONLY]})
    clock.now = NOW
    app = create_app(settings, clock=clock)
    factory = app.extensions["tongxin"].session_factory
    with factory() as s:
        org.sync_org(s, settings)
        demo.seed(s, settings, now=NOW)
        qinghe = s.scalar(select(Consortium).where(Consortium.code == "qinghe"))
        admin_accounts.create_account(s, "lx", PASSWORD, role="office", now=NOW)
        admin_accounts.create_account(s, "qh", PASSWORD, role="office", now=NOW, consortium_id=qinghe.id)
        admin_accounts.create_account(s, "viewer", PASSWORD, role="viewer", now=NOW)
        s.commit()
    yield app, settings, factory
    app.extensions["tongxin"].close()


def login(app, username: str):
    client = app.test_client()
    client.get("/admin/login")
    assert client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token(client)}).status_code == 302
    return client


def token(client) -> str:
    with client.session_transaction() as sess:
        return sess["csrf"]


def text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def secretaries(factory, code: str) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Person).join(Consortium, Person.consortium_id == Consortium.id)
                        .where(Person.role == "secretary", Consortium.code == code))


def fire(settings, factory, name: str, at: datetime) -> int:
    schedule = next(s for s in settings.schedules if s.name == name)
    with factory() as s:
        queued = jobs.fire_at(s, settings, schedule, at, runner="test")
        s.commit()
    return queued


def test_schedules_page_shows_next_fire_times_and_runs_with_this_consortiums_counts(scoped):
    app, settings, factory = scoped
    assert fire(settings, factory, "report_reminder", datetime(2026, 11, 25, 9, tzinfo=SH)) == \
        secretaries(factory, "linxi") + secretaries(factory, "qinghe")
    page = text(login(app, "lx"), "/admin/schedules")
    assert "定时提醒与活动" in page and "月报提醒" in page and "三会一课·党员大会" in page
    assert "2026-12-25 周五 09:00" in page  # report_reminder's next fire time
    assert "每月25日 09:00，遇休息日提前到前一工作日" in page
    assert f'2026-11-25 09:00\n<span class="badge s-sent">{secretaries(factory, "linxi")} 条</span>' in page
    assert "qinghe_audit" not in page and "清河专项督查" not in page


def test_a_consortium_schedule_shows_only_in_that_consortium(scoped):
    app, settings, factory = scoped
    assert fire(settings, factory, "qinghe_audit", datetime(2026, 12, 18, 10, tzinfo=SH)) == \
        secretaries(factory, "qinghe")
    qinghe = text(login(app, "qh"), "/admin/schedules")
    assert "清河专项督查" in qinghe and "2027-01-18 周一 10:00" in qinghe
    assert f'<span class="badge s-sent">{secretaries(factory, "qinghe")} 条</span>' in qinghe
    assert "清河专项督查" not in text(login(app, "lx"), "/admin/schedules")


@pytest.mark.pg
def test_office_adds_an_event_that_reminds_only_its_consortium(scoped, clock):
    app, settings, factory = scoped
    client = login(app, "qh")
    response = client.post("/admin/events", data={"title": "清河片区年终述职会", "at": "2026-12-20T09:00",
                                                  "notify": "secretaries", "before": "1d,1h",
                                                  "csrf_token": token(client)})
    assert response.status_code == 302
    assert "已添加活动「清河片区年终述职会」" in text(client, response.headers["Location"])
    with factory() as s:
        event = s.scalars(select(Event)).one()
        assert event.before == ["1d", "1h"] and event.at == datetime(2026, 12, 20, 9, tzinfo=SH)
        assert event.consortium_id == s.scalar(select(Consortium.id).where(Consortium.code == "qinghe"))
        queued = jobs.remind_events(s, settings, now=datetime(2026, 12, 19, 9, 0, 30, tzinfo=SH),
                                    window=timedelta(minutes=5))
        s.commit()
        sent = set(s.scalars(select(OutboxMessage.to_openid).where(OutboxMessage.kind == "reminder")))
    assert queued == secretaries(factory, "qinghe") == len(sent)
    assert all(o.startswith("demo-sec-qinghe-") for o in sent)
    clock.now = datetime(2026, 12, 19, 12, tzinfo=SH)
    page = text(login(app, "qh"), "/admin/schedules")  # four idle days ended the first session
    assert "清河片区年终述职会" in page and f"已发 {queued} 条" in page and "待发" in page
    assert "清河片区年终述职会" not in text(login(app, "lx"), "/admin/schedules")


def test_event_form_mistakes_are_named_and_nothing_is_added(scoped):
    app, _settings, factory = scoped
    client = login(app, "lx")
    cases = [({"title": "", "at": "2026-12-20T09:00"}, "请填写活动名称"),
             ({"title": "会", "at": "明天"}, "请填写活动时间"),
             ({"title": "会", "at": "2026-12-01T09:00"}, "活动时间已过"),
             ({"title": "会", "at": "2026-12-20T09:00", "before": "三天"}, "提前提醒格式不对"),
             ({"title": "会", "at": "2026-12-20T09:00", "notify": "branch:nowhere"}, "请选择通知对象")]
    for form, error in cases:
        response = client.post("/admin/events", data={"notify": "secretaries", **form, "csrf_token": token(client)})
        assert error in text(client, response.headers["Location"]), form
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0


def test_viewer_cannot_add_events_or_urge_and_csrf_is_required(scoped):
    app, _settings, factory = scoped
    viewer = login(app, "viewer")
    assert "只读账号不能添加活动" in text(viewer, "/admin/schedules")
    assert "只读账号不能催报" in text(viewer, "/admin/reports?period=2026-12")
    form = {"title": "会", "at": "2026-12-20T09:00", "notify": "secretaries", "csrf_token": token(viewer)}
    assert viewer.post("/admin/events", data=form).status_code == 403
    assert viewer.post("/admin/reports/urge", data={"period": "2026-12", "csrf_token": token(viewer)}).status_code == 403
    office = login(app, "lx")
    assert office.post("/admin/events", data={**form, "csrf_token": ""}).status_code == 400
    assert office.post("/admin/reports/urge", data={"period": "2026-12"}).status_code == 400
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_urge_log_stays_within_the_consortium(scoped):
    app, _settings, factory = scoped
    lx, qh = login(app, "lx"), login(app, "qh")
    response = qh.post("/admin/reports/urge", data={"period": "2026-12", "csrf_token": token(qh)})
    assert "已向 10 个支部发送催报" in text(qh, response.headers["Location"])
    qinghe_log = text(qh, "/admin/reports?period=2026-12")
    assert qinghe_log.count("<b>催报</b> · ") == 10
    linxi_log = text(lx, "/admin/reports?period=2026-12")
    assert "<b>催报</b>" not in linxi_log and "本期还没有发出提醒或催报" in linxi_log
    response = lx.post("/admin/reports/urge", data={"period": "2026-12", "csrf_token": token(lx)})
    assert "已向 10 个支部发送催报" in text(lx, response.headers["Location"])  # its own, not "already"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == \
            secretaries(factory, "linxi") + secretaries(factory, "qinghe")
