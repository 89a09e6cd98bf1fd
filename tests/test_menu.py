"""`menu push`: the custom menu of config.yaml, printed in sandbox mode, sent to the (fake) API otherwise."""
from __future__ import annotations

import json

import pytest

from core.config import ConfigError, load_settings
from core.config.menu import CLICK_KEYS, click_keys
from tests.conftest import config_yaml, with_credentials
from tests.support.fake_wechat_api import FakeWeChatAPI

APPID, SECRET = "wx-menu-test", "menu-secret"
AUDIENCE_USER = {"member": "demo-member-BSZ", "secretary": "demo-sec-eye_ent", "office": "demo-office-linxi",
                 None: "demo-member-BSZ"}


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    def apply(**env):
        base = with_credentials({"DATABASE_URL": f"sqlite:///{tmp_path / 'menu.db'}", "TONGXIN_VAR_DIR": str(tmp_path),
                                 **env})
        for key in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_API_BASE", "REDIS_URL", "SECRET_KEY"):
            monkeypatch.delenv(key, raising=False)
        for key, value in base.items():
            monkeypatch.setenv(key, value)
    return apply


def test_sandbox_push_prints_the_menu_json(cli_env, capsys):
    from bot import main
    cli_env()
    assert main(["menu", "push"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["sandbox"], out["pushed"]) == (True, False)
    assert out["menu"] == load_settings(environ={}).menu
    names = [b["name"] for b in out["menu"]["button"]]
    subs = [s["name"] for b in out["menu"]["button"] for s in b.get("sub_button", [])]
    assert "我要反映" in names and "办事指南" in names and "我的诉求" in subs and "待办任务" in subs
    assert "audience" not in json.dumps(out["menu"])  # our annotation never reaches WeChat


def test_push_sends_the_menu_to_the_api(cli_env, capsys):
    from bot import main
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        cli_env(WECHAT_APP_ID=APPID, WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE=api.base_url)
        assert main(["menu", "push"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert (out["sandbox"], out["pushed"]) == (False, True)
        assert api.menu == out["menu"]
        assert [c["path"] for c in api.calls] == ["stable_token", "menu/create"]


def test_push_refused_by_the_api_fails_loudly(cli_env, capsys):
    from bot import main
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        cli_env(WECHAT_APP_ID=APPID, WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE=api.base_url)
        api.fail_next("menu/create", 40001, times=None)  # refreshed once, retried once, then given up
        assert main(["menu", "push"]) == 1
        assert "40001" in capsys.readouterr().err
        assert len(api.calls_to("menu/create")) == 2 and api.menu is None


def test_every_click_answers_like_the_typed_command(wechat, demo, settings):
    menu = settings.menu
    buttons = [leaf for b in config_yaml()["menu"]["buttons"] for leaf in b.get("sub_button", [b])]
    assert set(click_keys(menu)) == {"HELP", "MY_REQUESTS", "MY_TASKS", "TRIAGE", "STATS"}
    for button in buttons:
        for audience in button.get("audience") or [None]:
            user = AUDIENCE_USER.get(audience, AUDIENCE_USER["office"])
            typed = wechat.send(CLICK_KEYS[button["key"]], user=user)
            assert wechat.click(button["key"], user=user) == typed, (button["name"], audience)


@pytest.mark.parametrize("menu, key", [
    ({}, "menu.buttons"),
    ({"buttons": [{"name": "帮助", "type": "click", "key": "NOPE"}]}, "menu.buttons[0].key"),
    ({"buttons": [{"name": "一二三四五六", "type": "click", "key": "HELP"}]}, "menu.buttons[0].name"),
    ({"buttons": [{"name": "a", "type": "click", "key": "HELP"}] * 4}, "menu.buttons"),
    ({"buttons": [{"name": "我的", "sub_button": [{"name": "x", "type": "click", "key": "HELP"}] * 6}]},
     "menu.buttons[0].sub_button"),
    ({"buttons": [{"name": "官网", "type": "view", "url": "ftp://x"}]}, "menu.buttons[0].url"),
    ({"buttons": [{"name": "帮助", "type": "click", "key": "HELP", "audience": ["boss"]}]},
     "menu.buttons[0].audience"),
])
def test_bad_menu_config_names_the_key(menu, key):
    with pytest.raises(ConfigError) as err:
        load_settings(environ={}, overrides={"menu": menu})
    assert err.value.key == key
