"""Sandbox mode is one thing: no WeChat credential of any kind. Only then the simulator, the public
token and a session key of our own (kept in var/); any credential needs SECRET_KEY and hides the simulator."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from bot import create_app
from core.config import SANDBOX_TOKEN, WECHAT_CREDENTIALS, ConfigError, is_sandbox, load_settings
from services.org import accounts as admin_accounts
from tests.conftest import AES_KEY, ROOT, TEST_SECRET_KEY, make_settings

OLD_PUBLIC_KEY = "tongxin-dev-secret-key"
REAL_TOKEN = "scraped-real-token-7f3a9c"
CREDENTIAL_VALUES = {"WECHAT_TOKEN": REAL_TOKEN, "WECHAT_AES_KEY": AES_KEY, "WECHAT_APP_ID": "wxreal0000000001",
                     "WECHAT_APP_SECRET": "real-app-secret"}


def base_env(tmp_path, **env) -> dict:
    return {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}", **env}


@pytest.mark.parametrize("name", WECHAT_CREDENTIALS)
def test_any_one_credential_without_secret_key_stops_naming_it(tmp_path, name):
    env = base_env(tmp_path, **{name: CREDENTIAL_VALUES[name]})
    assert not is_sandbox(env)
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env)
    assert err.value.key == "SECRET_KEY"
    assert not (tmp_path / "secret_key").exists()


def test_start_up_with_a_token_and_no_secret_key_is_one_line_not_a_traceback(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **base_env(tmp_path, WECHAT_TOKEN=REAL_TOKEN)}
    run = subprocess.run([sys.executable, "bot.py", "init-db"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ConfigError: SECRET_KEY: required"), run.stderr
    assert "Traceback" not in run.stderr


def test_sandbox_key_is_random_made_once_and_private(tmp_path):
    first = load_settings(environ=base_env(tmp_path))
    key_file = tmp_path / "secret_key"
    assert first.sandbox and first.wechat.token == SANDBOX_TOKEN
    assert first.secret_key != OLD_PUBLIC_KEY and len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings(environ=base_env(tmp_path)).secret_key == first.secret_key  # restarts keep sessions
    other = tmp_path / "other"
    assert load_settings(environ=base_env(other)).secret_key != first.secret_key  # no key shared between installs


def test_a_cookie_forged_with_the_old_public_key_is_refused(settings, clock):
    app = create_app(settings, clock=clock)
    with app.extensions["tongxin"].session_factory() as s:
        account = admin_accounts.create_account(s, "office-x", "correct horse battery", role="office", now=clock())
        s.commit()
    forger = Flask("forger")
    forger.secret_key = OLD_PUBLIC_KEY
    cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps({"admin_id": account.id})
    client = app.test_client()
    client.set_cookie("session", cookie)
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    app.extensions["tongxin"].close()


def test_the_old_public_key_is_gone_from_the_code():
    hits = [p for folder in ("core", "web", "bot.py", "handlers", "services", "commands")
            for p in ([ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py"))
            if OLD_PUBLIC_KEY in p.read_text(encoding="utf-8")]
    assert hits == []


@pytest.mark.parametrize("names", [("WECHAT_TOKEN",), ("WECHAT_TOKEN", "WECHAT_AES_KEY"),
                                   ("WECHAT_TOKEN", "WECHAT_APP_ID")])
def test_with_any_credential_the_simulator_is_404_and_the_token_never_shown(tmp_path, sqlite_url, clock, names):
    settings = make_settings(tmp_path, sqlite_url, SECRET_KEY=TEST_SECRET_KEY,
                             **{n: CREDENTIAL_VALUES[n] for n in names})
    assert not settings.sandbox and settings.wechat.token == REAL_TOKEN
    app = create_app(settings, clock=clock)
    client = app.test_client()
    for path in ("/simulator", "/simulator/api/identities", "/simulator/api/outbox?openid=demo-office-linxi",
                 "/simulator/static/simulator.js"):
        assert client.get(path).status_code == 404, path
    assert client.get("/").get_json()["sandbox"] is False
    for path in ("/", "/admin/login", "/healthz", "/readyz", "/wechat", "/simulator"):
        assert REAL_TOKEN not in client.get(path).get_data(as_text=True), path
    app.extensions["tongxin"].close()


def test_sandbox_serves_the_simulator_with_the_public_token(app):
    client = app.test_client()
    page = client.get("/simulator")
    assert page.status_code == 200 and SANDBOX_TOKEN in page.get_data(as_text=True)
    assert client.get("/simulator/api/identities").status_code == 200
