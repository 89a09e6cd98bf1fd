"""The fake WeChat API server, driven over real HTTP by Tongxin's own client (core/wechat_client.py)."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from core.config import load_settings
from core.token_store import MemoryTokenStore
from core.wechat_client import WeChatApi, WeChatApiError, make_wechat_client
from tests.conftest import with_credentials
from tests.support import fake_wechat_api
from tests.support.fake_wechat_api import FakeWeChatAPI

APPID, SECRET = "wx-fake-appid", "fake-secret"


@pytest.fixture
def api():
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as server:
        yield server


@pytest.fixture
def connect(api, tmp_path):
    """A fresh client of the app (own token store) aimed at the fake server."""
    def make(secret: str = SECRET, timeout: float = 5.0) -> WeChatApi:
        settings = load_settings(environ=with_credentials({"TONGXIN_VAR_DIR": str(tmp_path), "WECHAT_APP_ID": APPID,
                                                           "WECHAT_APP_SECRET": secret, "WECHAT_API_BASE": api.base_url}))
        return make_wechat_client(settings, MemoryTokenStore(APPID), timeout=timeout)
    return make


@pytest.fixture
def client(connect) -> WeChatApi:
    return connect()


def stable_token(api, force_refresh: bool = False) -> str:
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": force_refresh}
    return requests.post(f"{api.base_url}stable_token", json=body, timeout=5).json()["access_token"]


def test_base_url_and_free_port(api):
    assert api.port > 0
    assert api.base_url == f"http://127.0.0.1:{api.port}/cgi-bin/"


def test_custom_send_is_recorded(api, client):
    assert client.send_text("o-alice", "你好") == {"errcode": 0, "errmsg": "ok"}
    [sent] = api.sent_messages()
    assert sent["path"] == "message/custom/send"
    assert sent["json"] == {"touser": "o-alice", "msgtype": "text", "text": {"content": "你好"}}
    assert sent["query"]["access_token"].startswith("FAKE-STABLE-")
    assert [c["path"] for c in api.calls] == ["stable_token", "message/custom/send"]
    assert api.calls_to("/cgi-bin/stable_token")[0]["json"]["appid"] == APPID


def test_template_send_returns_msgid(api, client):
    data = {"thing1": {"value": "B超机报修"}}
    first = client.send_template("o-bob", "TPL-1", data, url="https://example.org")
    second = client.send_template("o-bob", "TPL-1", data)
    assert first["errcode"] == 0 and second["msgid"] == first["msgid"] + 1
    assert api.sent_messages()[0]["json"]["template_id"] == "TPL-1"
    assert api.sent_messages()[0]["json"]["url"] == "https://example.org"


def test_injected_45015_surfaces_as_an_api_error(api, client):
    api.fail_next("message/custom/send", 45015)
    with pytest.raises(WeChatApiError) as err:
        client.send_text("o-alice", "hi")
    assert (err.value.errcode, err.value.http_status) == (45015, None)
    assert api.sent_messages() == []
    client.send_text("o-alice", "hi")  # only the next call failed
    assert len(api.sent_messages()) == 1


def test_injected_45009_fails_as_many_times_as_asked(api, client):
    api.fail_next("message/template/send", 45009, times=2)
    for _ in range(2):
        with pytest.raises(WeChatApiError) as err:
            client.send_template("o-a", "TPL", {})
        assert err.value.errcode == 45009
    assert client.send_template("o-a", "TPL", {})["errcode"] == 0


def test_injected_http_500_surfaces_with_its_status(api, client):
    api.fail_next_http("message/custom/send", status=500)
    with pytest.raises(WeChatApiError) as err:
        client.send_text("o-alice", "hi")
    assert (err.value.errcode, err.value.http_status) == (None, 500)
    assert api.calls_to("message/custom/send")[0]["status"] == 500


def test_rule_fails_every_send_to_one_openid(api, client):
    api.set_rule("o-gone", 43004)
    for _ in range(2):
        with pytest.raises(WeChatApiError) as err:
            client.send_template("o-gone", "TPL", {})
        assert err.value.errcode == 43004
    client.send_text("o-here", "hi")
    assert [m["json"]["touser"] for m in api.sent_messages()] == ["o-here"]


@pytest.mark.parametrize("spoil, code", [("invalidate_tokens", 40001), ("expire_tokens", 42001)])
def test_spoiled_token_is_refused_then_refreshed_once(api, client, spoil, code):
    client.send_text("o-a", "1")
    getattr(api, spoil)()
    client.send_text("o-a", "2")  # the client refreshes the token and retries once
    codes = [c["response"].get("errcode") for c in api.calls_to("message/custom/send")]
    assert codes == [0, code, 0]
    assert len(api.calls_to("stable_token")) == 2


def test_a_token_refused_twice_is_not_retried_again(api, client):
    api.fail_next("message/custom/send", 40001, times=None)
    with pytest.raises(WeChatApiError) as err:
        client.send_text("o-a", "hi")
    assert err.value.errcode == 40001
    assert len(api.calls_to("message/custom/send")) == 2


def test_plain_token_supersedes_previous(api):
    def get_token() -> str:
        params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        return requests.get(f"{api.base_url}token", params=params, timeout=5).json()["access_token"]

    old, new = get_token(), get_token()
    assert old != new
    menu = f"{api.base_url}menu/get"
    assert requests.get(menu, params={"access_token": old}, timeout=5).json()["errcode"] == 40001
    assert requests.get(menu, params={"access_token": new}, timeout=5).json()["errcode"] == 46003


def test_token_overlap_keeps_previous_token_valid():
    with FakeWeChatAPI(token_overlap=300) as api:
        old, new = api.issue_token(), api.issue_token()
        for token in (old, new):
            answer = requests.get(f"{api.base_url}menu/get", params={"access_token": token},
                                  timeout=5).json()
            assert answer["errcode"] == 46003  # menu missing, token fine


def test_stable_token_is_stable_unless_forced(api):
    first = stable_token(api)
    assert stable_token(api) == first
    assert stable_token(api, force_refresh=True) != first


def test_wrong_secret_is_refused(api, connect):
    with pytest.raises(WeChatApiError) as err:
        connect(secret="wrong").send_text("o-a", "hi")
    assert err.value.errcode == 40125
    assert api.sent_messages() == []


def test_menu_create_then_get(api, client):
    assert client.get_menu() is None  # 46003: no menu yet
    menu = {"button": [{"type": "click", "name": "我的任务", "key": "MY_TASKS"}]}
    client.create_menu(menu)
    assert client.get_menu() == {"menu": menu}


def test_delay_holds_the_answer(api, client, connect):
    assert client.access_token
    api.delay_next("message/custom/send", 0.3)
    started = time.monotonic()
    client.send_text("o-a", "slow")
    assert time.monotonic() - started >= 0.3
    slow = connect(timeout=0.1)
    assert slow.access_token
    api.delay_next("message/custom/send", 0.4)
    with pytest.raises(WeChatApiError) as err:
        slow.send_text("o-a", "too slow")
    assert (err.value.errcode, err.value.http_status) == (None, None) and "Timeout" in err.value.message


def test_drop_yields_a_network_error(api, client):
    assert client.access_token
    api.drop_next("message/custom/send")
    with pytest.raises(WeChatApiError) as err:
        client.send_text("o-a", "lost")
    assert (err.value.errcode, err.value.http_status) == (None, None) and "ConnectionError" in err.value.message
    assert api.calls_to("message/custom/send")[0]["dropped"] is True
    assert api.sent_messages() == []


def test_reset_forgets_calls_tokens_and_faults(api, client, connect):
    client.send_text("o-a", "1")
    api.fail_next("message/custom/send", -1, times=None)
    api.reset()
    assert api.calls == []
    connect().send_text("o-a", "2")
    assert len(api.sent_messages()) == 1


def test_concurrent_sends_are_all_recorded(api, client):
    assert client.access_token
    threads = [threading.Thread(target=client.send_text, args=(f"o-{i}", "x")) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["json"]["touser"] for m in api.sent_messages()) == sorted(f"o-{i}" for i in range(20))
    assert len(api.calls_to("stable_token")) == 1  # one token shared by every thread


def test_main_serves_until_stopped(capsys):
    stop = threading.Event()
    runner = threading.Thread(target=fake_wechat_api.main,
                              args=(["--port", "0", "--quiet"],), kwargs={"stop": stop})
    runner.start()
    try:
        for _ in range(100):
            out = capsys.readouterr().out
            if "listening on" in out:
                break
            time.sleep(0.02)
        base = out.strip().rsplit(" ", 1)[-1]
        answer = requests.get(f"{base}token", timeout=5, params={
            "grant_type": "client_credential", "appid": "x", "secret": "y"}).json()
        assert answer["expires_in"] == 7200
    finally:
        stop.set()
        runner.join(timeout=5)
    assert not runner.is_alive()


def test_script_runs_standalone():
    script = Path(fake_wechat_api.__file__)
    command = [sys.executable, str(script), "--port", "0", "--quiet"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            base = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
            assert base.startswith("http://127.0.0.1:") and base.endswith("/cgi-bin/")
            answer = requests.get(f"{base}menu/get", params={"access_token": "nope"}, timeout=5)
            assert answer.json()["errcode"] == 40001
        finally:
            proc.terminate()
