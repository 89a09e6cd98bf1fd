"""The fake WeChat API server, driven over real HTTP by wechatpy's own client."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import APILimitedException, WeChatClientException

from tests.support import fake_wechat_api
from tests.support.fake_wechat_api import FakeWeChatAPI

APPID, SECRET = "wx-fake-appid", "fake-secret"


class FakeServerClient(WeChatClient):
    """wechatpy's client aimed at the fake server, fetching tokens via stable_token.

    wechatpy 2.0.0a26 builds the token URL by hand (api.weixin.qq.com) in
    ``fetch_access_token`` and ``_fetch_access_token`` only does GET, so the
    override posts JSON itself and stores the token as ``_fetch_access_token`` does.
    """

    def __init__(self, base_url: str, **kwargs):
        super().__init__(APPID, SECRET, timeout=kwargs.pop("timeout", 5), **kwargs)
        self.API_BASE_URL = base_url

    def fetch_access_token(self, force_refresh: bool = False) -> dict:
        res = self._http.post(
            f"{self.API_BASE_URL}stable_token",
            json={"grant_type": "client_credential", "appid": self.appid,
                  "secret": self.secret, "force_refresh": force_refresh},
            timeout=self.timeout,
        )
        try:
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(None, None, client=self, request=exc.request,
                                        response=exc.response) from exc
        result = self._handle_result(res)
        self.session.set(self.access_token_key, result["access_token"], result["expires_in"])
        self.expires_at = int(time.time()) + result["expires_in"]
        return result


@pytest.fixture
def api():
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as server:
        yield server


@pytest.fixture
def client(api):
    return FakeServerClient(api.base_url, auto_retry=False)


def test_base_url_and_free_port(api):
    assert api.port > 0
    assert api.base_url == f"http://127.0.0.1:{api.port}/cgi-bin/"


def test_custom_send_is_recorded(api, client):
    assert client.message.send_text("o-alice", "你好") == {"errcode": 0, "errmsg": "ok"}
    [sent] = api.sent_messages()
    assert sent["path"] == "message/custom/send"
    assert sent["json"] == {"touser": "o-alice", "msgtype": "text", "text": {"content": "你好"}}
    assert sent["query"]["access_token"].startswith("FAKE-STABLE-")
    assert [c["path"] for c in api.calls] == ["stable_token", "message/custom/send"]
    assert api.calls_to("/cgi-bin/stable_token")[0]["json"]["appid"] == APPID


def test_template_send_returns_msgid(api, client):
    data = {"thing1": {"value": "B超机报修"}}
    first = client.message.send_template("o-bob", "TPL-1", data, url="https://example.org")
    second = client.message.send_template("o-bob", "TPL-1", data)
    assert first["errcode"] == 0 and second["msgid"] == first["msgid"] + 1
    assert api.sent_messages()[0]["json"]["template_id"] == "TPL-1"


def test_injected_45015_surfaces_as_client_exception(api, client):
    api.fail_next("message/custom/send", 45015)
    with pytest.raises(WeChatClientException) as err:
        client.message.send_text("o-alice", "hi")
    assert err.value.errcode == 45015
    assert api.sent_messages() == []
    client.message.send_text("o-alice", "hi")  # only the next call failed
    assert len(api.sent_messages()) == 1


def test_injected_45009_is_api_limited(api, client):
    api.fail_next("message/template/send", 45009, times=2)
    for _ in range(2):
        with pytest.raises(APILimitedException):
            client.message.send_template("o-a", "TPL", {})
    assert client.message.send_template("o-a", "TPL", {})["errcode"] == 0


def test_injected_http_500_surfaces_as_exception(api, client):
    api.fail_next_http("message/custom/send", status=500)
    with pytest.raises(WeChatClientException) as err:
        client.message.send_text("o-alice", "hi")
    assert err.value.response.status_code == 500
    assert api.calls_to("message/custom/send")[0]["status"] == 500


def test_rule_fails_every_send_to_one_openid(api, client):
    api.set_rule("o-gone", 43004)
    for _ in range(2):
        with pytest.raises(WeChatClientException) as err:
            client.message.send_template("o-gone", "TPL", {})
        assert err.value.errcode == 43004
    client.message.send_text("o-here", "hi")
    assert [m["json"]["touser"] for m in api.sent_messages()] == ["o-here"]


def test_invalidated_token_yields_40001(api, client):
    client.message.send_text("o-a", "1")
    api.invalidate_tokens()
    with pytest.raises(WeChatClientException) as err:
        client.message.send_text("o-a", "2")
    assert err.value.errcode == 40001


def test_expired_token_yields_42001(api, client):
    client.message.send_text("o-a", "1")
    api.expire_tokens()
    with pytest.raises(WeChatClientException) as err:
        client.menu.get()
    assert err.value.errcode == 42001


def test_auto_retry_recovers_from_revoked_token(api):
    retrying = FakeServerClient(api.base_url, auto_retry=True)
    retrying.message.send_text("o-a", "1")
    api.invalidate_tokens()
    retrying.message.send_text("o-a", "2")
    codes = [c["response"].get("errcode") for c in api.calls_to("message/custom/send")]
    assert codes == [0, 40001, 0]
    assert len(api.calls_to("stable_token")) == 2


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


def test_stable_token_is_stable_unless_forced(api, client):
    first = client.fetch_access_token()["access_token"]
    assert client.fetch_access_token()["access_token"] == first
    forced = client.fetch_access_token(force_refresh=True)["access_token"]
    assert forced != first


def test_wrong_secret_is_refused(api):
    bad = FakeServerClient(api.base_url)
    bad.secret = "wrong"
    with pytest.raises(WeChatClientException) as err:
        bad.message.send_text("o-a", "hi")
    assert err.value.errcode == 40125


def test_menu_create_then_get(api, client):
    assert client.menu.get() is None  # 46003, which wechatpy maps to None
    menu = {"button": [{"type": "click", "name": "我的任务", "key": "MY_TASKS"}]}
    client.menu.create(menu)
    assert client.menu.get() == {"menu": menu}


def test_delay_holds_the_answer(api, client):
    client.fetch_access_token()
    api.delay_next("message/custom/send", 0.3)
    started = time.monotonic()
    client.message.send_text("o-a", "slow")
    assert time.monotonic() - started >= 0.3
    slow = FakeServerClient(api.base_url, timeout=0.1)
    slow.fetch_access_token()
    api.delay_next("message/custom/send", 0.4)
    with pytest.raises(requests.Timeout):
        slow.message.send_text("o-a", "too slow")


def test_drop_yields_connection_error(api, client):
    client.fetch_access_token()
    api.drop_next("message/custom/send")
    with pytest.raises(requests.ConnectionError):
        client.message.send_text("o-a", "lost")
    assert api.calls_to("message/custom/send")[0]["dropped"] is True
    assert api.sent_messages() == []


def test_reset_forgets_calls_tokens_and_faults(api, client):
    client.message.send_text("o-a", "1")
    api.fail_next("message/custom/send", -1, times=None)
    api.reset()
    assert api.calls == []
    fresh = FakeServerClient(api.base_url, auto_retry=False)
    fresh.message.send_text("o-a", "2")
    assert len(api.sent_messages()) == 1


def test_concurrent_sends_are_all_recorded(api, client):
    client.fetch_access_token()
    threads = [threading.Thread(target=client.message.send_text, args=(f"o-{i}", "x"))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["json"]["touser"] for m in api.sent_messages()) == sorted(
        f"o-{i}" for i in range(20))


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
