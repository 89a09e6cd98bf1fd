"""Console security (issue #15): invite visibility, no inline script, login limits, proxies, sessions,
cookie flags, headers, CSRF rotation, passwords, revocation, `next` and LIKE escaping."""
from __future__ import annotations

import io
import threading
from html.parser import HTMLParser
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.config import ConfigError, load_settings
from models.admin import LoginAttempt
from models.org import Consortium, Person
from services.org import accounts as admin_accounts
from services.demo import sample_requests as demo_data
from services.org import structure as org
from services.org import people
from tests.conftest import make_settings

NOW = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)
PASSWORD = "correct-horse-9"
HOSTILE = "'+alert(document.domain)+'<img src=x onerror=alert(1)>"


@pytest.fixture
def console(app, settings, clock, demo, session_factory):
    """Demo people and requests, an office and a viewer account, invite codes of every role."""
    clock.now = NOW
    with session_factory() as session:
        demo_data.seed_requests(session, 1, now=NOW, tz=settings.tz, count=20)
        admin_accounts.create_account(session, "office", PASSWORD, role="office", now=NOW)
        admin_accounts.create_account(session, "viewer", PASSWORD, role="viewer", now=NOW)
        cons = session.scalars(select(Consortium).order_by(Consortium.id)).first()
        branch = session.scalars(select(org.Branch).where(org.Branch.consortium_id == cons.id)).first()
        unit = session.scalars(select(org.Unit).where(org.Unit.consortium_id == cons.id)).first()
        codes = {role: people.create_invite(session, role=role, consortium=cons, now=NOW, ttl_days=7,
                                            branch=branch if role == "secretary" else None,
                                            unit=unit if role == "member" else None).code
                 for role in ("member", "secretary", "office")}
        session.commit()
    app.config["INVITES"] = codes
    return app


def csrf(client) -> str:
    client.get("/admin/login")
    with client.session_transaction() as sess:
        return sess["csrf"]


def login(client, username: str = "office", password: str = PASSWORD, ip: str = "10.0.0.1", **kw):
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf(client)}, environ_base={"REMOTE_ADDR": ip}, **kw)


def logged_in(app, username: str = "office"):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


# --- 1: invite codes by role -------------------------------------------------

def test_viewer_sees_only_member_poster_codes_and_cannot_fetch_staff_qr(console):
    codes = console.config["INVITES"]
    viewer = logged_in(console, "viewer")
    page = viewer.get("/admin/people").get_data(as_text=True)
    assert codes["member"] in page
    assert codes["office"] not in page and codes["secretary"] not in page
    for role in ("office", "secretary"):
        assert viewer.get(f"/admin/invites/{codes[role]}.png?download=1").status_code == 404
    assert viewer.get(f"/admin/invites/{codes['member']}.png").status_code == 200
    office_page = logged_in(console).get("/admin/people").get_data(as_text=True)
    assert all(code in office_page for code in codes.values())


def test_used_single_use_code_is_not_listed(console, session_factory):
    code = console.config["INVITES"]["office"]
    with session_factory() as session:
        people.bind(session, people.get_or_create_person(session, "o-new", now=NOW), code, now=NOW)
        session.commit()
    office = logged_in(console)
    assert code not in office.get("/admin/people").get_data(as_text=True)
    assert office.get(f"/admin/invites/{code}.png").status_code == 404


# --- 2 and 10: no inline script, CSP and headers on every page -----------------

class InlineScriptFinder(HTMLParser):
    """Event-handler attributes (onclick=...) and <script> elements without src, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found += [f"<{tag} {name}=...>" for name, _ in attrs if name.startswith("on")]
        if tag == "script" and not dict(attrs).get("src"):
            self.found.append("<script> without src")


def inline_script(html: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(html)
    return finder.found


CONSOLE_PAGES = ("/admin/", "/admin/ledger", "/admin/people", "/admin/outbox", "/admin/reports", "/admin/schedules",
                 "/admin/pairings", "/admin/activities", "/admin/needs", "/admin/summary")


def _hostile_names(session_factory) -> None:
    with session_factory() as session:
        for person in session.scalars(select(Person).where(Person.role.is_not(None))):
            person.name = HOSTILE
        session.commit()


def test_console_pages_have_no_inline_script_and_forbid_it_by_csp(console, session_factory):
    _hostile_names(session_factory)
    office = logged_in(console)
    for path in CONSOLE_PAGES:
        response = office.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert inline_script(html) == [], path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], path
    people_page = office.get("/admin/people").get_data(as_text=True)
    assert 'data-confirm="确定解除 &#39;+alert(document.domain)+&#39;&lt;img' in people_page


def test_every_console_response_sends_security_headers(console):
    office = logged_in(console, "viewer")
    responses = [console.test_client().get("/admin/login"), console.test_client().get("/admin/ledger"),
                 office.get("/admin/"), office.get("/admin/people"),
                 office.post("/admin/invites", data={"role": "office", "csrf_token": csrf(office)})]
    assert [r.status_code for r in responses] == [200, 302, 200, 200, 403]
    for response in responses:
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- 6: login limits -----------------------------------------------------------

def test_failures_from_other_addresses_do_not_lock_the_user_out(console, clock):
    client = console.test_client()
    for i in range(5):
        assert login(client, password="wrong", ip=f"10.1.0.{i}").status_code == 401
    throttled = login(client, ip="10.9.9.9")  # the same second: a short, growing delay, not a 15-minute lock
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "1 秒后再试" in throttled.get_data(as_text=True)
    clock.now = NOW + timedelta(seconds=2)
    assert login(client, ip="10.9.9.9").status_code == 302


def test_delays_grow_with_each_failure_but_a_known_address_skips_them(console, clock):
    client = console.test_client()
    assert login(client, ip="10.5.5.5").status_code == 302  # the office's usual desk
    for i in range(5):
        assert login(client, password="wrong", ip=f"10.1.0.{i}").status_code == 401
    waits = []
    for i in range(4):
        clock.now += timedelta(seconds=60)
        assert login(client, password="wrong", ip=f"10.3.0.{i}").status_code == 401
        waits.append(login(client, password="wrong", ip="10.4.0.1").headers["Retry-After"])
    assert waits == ["2", "4", "8", "16"]
    assert login(client, ip="10.4.0.1").status_code == 429
    assert login(client, ip="10.5.5.5").status_code == 302


def test_five_failures_lock_that_username_from_that_address(console, clock):
    client = console.test_client()
    for _ in range(5):
        assert login(client, password="wrong", ip="10.2.0.1").status_code == 401
    clock.now = NOW + timedelta(minutes=5)
    locked = login(client, ip="10.2.0.1")
    assert locked.status_code == 429 and "15 分钟" in locked.get_data(as_text=True)
    assert login(client, ip="10.2.0.2").status_code == 302
    clock.now = NOW + timedelta(minutes=16)
    assert login(client, ip="10.2.0.1").status_code == 302


def test_an_address_spraying_usernames_is_locked(console):
    client = console.test_client()
    for i in range(admin_accounts.ADDRESS_LIMIT):
        assert login(client, username=f"guess{i}", password="wrong", ip="10.2.0.1").status_code == 401
    assert login(client, "viewer", ip="10.2.0.1").status_code == 429
    assert login(client, "viewer", ip="10.2.0.2").status_code == 302


def test_concurrent_wrong_attempts_are_checked_at_most_the_limit(console):
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def attempt() -> None:
        client = console.test_client()
        token = csrf(client)
        barrier.wait()
        statuses.append(client.post("/admin/login", data={"username": "office", "password": "wrong",
                                                          "csrf_token": token},
                                    environ_base={"REMOTE_ADDR": "10.7.0.1"}).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(statuses) == 12 and set(statuses) <= {401, 429}
    assert statuses.count(401) <= admin_accounts.PAIR_LIMIT


# --- 7: proxies ----------------------------------------------------------------

def test_forwarded_for_is_ignored_without_trusted_proxies(console, session_factory):
    client = console.test_client()
    spoofed = {"REMOTE_ADDR": "10.0.0.5"}
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base=spoofed).status_code == 403
    client.post("/admin/login", data={"username": "office", "password": "wrong", "csrf_token": csrf(client)},
                headers={"X-Forwarded-For": "203.0.113.7"}, environ_base=spoofed)
    with session_factory() as session:
        assert session.scalars(select(LoginAttempt.ip)).all() == ["10.0.0.5"]


def test_one_trusted_proxy_gives_the_real_client_address(tmp_path, sqlite_url):
    from bot import create_app
    app = create_app(make_settings(tmp_path, sqlite_url, TRUSTED_PROXIES="1"))
    local = {"REMOTE_ADDR": "127.0.0.1"}
    client = app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=local).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base=local).status_code == 200
    client.post("/admin/login", data={"username": "x", "password": "wrong", "csrf_token": csrf(client)},
                headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}, environ_base=local)
    with app.extensions["tongxin"].session_factory() as session:
        assert session.scalars(select(LoginAttempt.ip)).all() == ["203.0.113.9"]
    app.extensions["tongxin"].close()


@pytest.mark.parametrize("name,value", [("TRUSTED_PROXIES", "one"), ("TRUSTED_PROXIES", "-1"),
                                        ("ADMIN_SESSION_HOURS", "0"), ("ADMIN_SESSION_HOURS", "１２")])
def test_bad_proxy_or_session_setting_names_the_key(tmp_path, name, value):
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path), name: value})
    assert err.value.key == name


# --- 8 and 13: sessions end on logout, password change, disable, idleness -----------

def _saved_cookie_client(app, client):
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_saved_cookie_stops_working_after_logout(console):
    office = logged_in(console)
    thief = _saved_cookie_client(console, office)
    assert thief.get("/admin/ledger").status_code == 200
    assert office.post("/admin/logout", data={"csrf_token": csrf(office)}).status_code == 302
    assert thief.get("/admin/ledger").status_code == 302


def test_password_change_and_disable_end_open_sessions(console, settings, tmp_path, monkeypatch, capsys):
    import bot
    office, viewer = logged_in(console), logged_in(console, "viewer")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("another-horse-77\n"))
    assert bot.main(["admin", "password", "--username", "office", "--password-stdin"]) == 0
    assert office.get("/admin/ledger").status_code == 302
    assert login(console.test_client(), password="another-horse-77").status_code == 302
    assert viewer.get("/admin/ledger").status_code == 200
    assert bot.main(["admin", "disable", "--username", "viewer"]) == 0
    assert '"disabled": true' in capsys.readouterr().out
    assert viewer.get("/admin/ledger").status_code == 302
    assert login(console.test_client(), "viewer").status_code == 401


def test_session_expires_after_idle_hours(console, clock):
    office = logged_in(console)
    for hours in (11, 22):  # kept alive by use
        clock.now = NOW + timedelta(hours=hours)
        assert office.get("/admin/ledger").status_code == 200
    clock.now = NOW + timedelta(hours=22 + 13)
    assert office.get("/admin/ledger").status_code == 302


# --- 9 and 11: cookie flags, CSRF rotation ------------------------------------

def test_session_cookie_is_samesite_lax_and_secure_in_production(console, tmp_path, sqlite_url):
    from bot import create_app
    cookie = login(console.test_client()).headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    prod = make_settings(tmp_path, sqlite_url, TONGXIN_ENV="production", WECHAT_TOKEN="t0ken", WECHAT_APP_ID="wx1",
                         WECHAT_APP_SECRET="s3cret", SECRET_KEY="k" * 32)
    app = create_app(prod)
    prod_cookie = app.test_client().get("/admin/login").headers["Set-Cookie"]
    assert "Secure" in prod_cookie and "SameSite=Lax" in prod_cookie
    app.extensions["tongxin"].close()


def test_csrf_token_is_rotated_at_login(console):
    client = console.test_client()
    before = csrf(client)
    assert login(client).status_code == 302
    with client.session_transaction() as sess:
        after = sess["csrf"]
    assert after != before
    assert client.post("/admin/logout", data={"csrf_token": before}).status_code == 400
    assert client.post("/admin/logout", data={"csrf_token": after}).status_code == 302


# --- 12: passwords ---------------------------------------------------------------

@pytest.mark.parametrize("password,reason", [("short-pw9", "at least 10 characters"),
                                             ("1234567890", "common passwords"), ("Password123", "common passwords")])
def test_short_or_common_password_is_refused_with_the_reason(settings, tmp_path, monkeypatch, capsys,
                                                             password, reason):
    import bot
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert bot.main(["admin", "create", "--username", "clerk", "--password-stdin"]) == 1
    assert reason in capsys.readouterr().err


# --- 13: revoking invite codes ----------------------------------------------------

def test_revoked_invite_stops_binding_at_once(console, settings, wechat, tmp_path, monkeypatch, capsys):
    import bot
    codes = console.config["INVITES"]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    assert bot.main(["invite", "revoke", codes["secretary"].lower()]) == 0
    assert "已作废" in wechat.send(f"绑定 {codes['secretary']}", user="o-thief")
    assert bot.main(["invite", "revoke", "NOPE2345"]) == 1 and "unknown invite code" in capsys.readouterr().err
    viewer, office = logged_in(console, "viewer"), logged_in(console)
    assert viewer.post(f"/admin/invites/{codes['member']}/revoke",
                       data={"csrf_token": csrf(viewer)}).status_code == 403
    page = office.get("/admin/people").get_data(as_text=True)
    assert f'/admin/invites/{codes["office"]}/revoke' in page
    assert office.post(f"/admin/invites/{codes['office']}/revoke", data={"csrf_token": csrf(office)}).status_code == 302
    assert "已作废" in wechat.send(f"绑定 {codes['office']}", user="o-thief")
    assert "已作废" in office.get("/admin/people").get_data(as_text=True)  # the flash names the code once
    assert codes["office"] not in office.get("/admin/people").get_data(as_text=True)


# --- 17: `next` with CR/LF, LIKE wildcards ------------------------------------------

def test_crlf_in_login_next_is_a_400(console):
    client = console.test_client()
    assert client.get("/admin/login?next=/admin/%0d%0aSet-Cookie:%20x=1").status_code == 400
    response = client.post("/admin/login", data={"username": "office", "password": PASSWORD,
                                                 "next": "/admin/\r\nSet-Cookie: x=1", "csrf_token": csrf(client)})
    assert response.status_code == 400


def test_ledger_search_treats_wildcards_as_text(console):
    office = logged_in(console)
    for query in ("%", "_", "%%_"):
        assert "没有符合条件的诉求" in office.get(f"/admin/ledger?q={query.replace('%', '%25')}").get_data(as_text=True)
