"""Menus per role: config, `menu push` / `menu show`, tags following identity, and no silent button or word."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.config import ConfigError, load_settings
from core.config.menu import CLICK_KEYS, CLICK_ONLY, click_keys
from core.token_store import MemoryTokenStore
from core.wechat_client import make_wechat_client
from handlers.router import COMMAND_WORDS
from models.menu import MenuTag
from models.org import Branch, Consortium
from services.menu.push import push
from services.messages.delivery import run_once
from services.org import people
from tests.conftest import make_settings, with_credentials
from tests.support.fake_wechat_api import FakeWeChatAPI

APPID, SECRET = "wx-menu-test", "menu-secret"
ROLE_USERS = {"member": "demo-member-BSZ", "secretary": "demo-sec-eye_ent", "office": "demo-office-linxi"}
NOT_FOR_YOU, STALE = "可以使用。", "菜单按钮已经更新"


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


def test_sandbox_push_prints_the_requests_it_would_make(cli_env, capsys):
    from bot import main
    cli_env()
    assert main(["menu", "push"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["sandbox"], out["pushed"]) == (True, False)
    apis = [r["api"] for r in out["requests"]]
    assert apis.count("tags/create") == 3 and apis.count("menu/addconditional") == 3 and "menu/create" in apis
    default = next(r for r in out["requests"] if r["api"] == "menu/create")["body"]
    assert [b["name"] for b in default["button"]] == ["绑定说明", "办事指南"]
    rules = [r["body"]["matchrule"] for r in out["requests"] if r["api"] == "menu/addconditional"]
    assert rules == [{"tag_id": f"<id of tongxin-{m}>"} for m in ("member", "secretary", "office")]


def test_menu_show_prints_what_a_role_sees(cli_env, capsys):
    from bot import main
    cli_env()
    assert main(["menu", "show", "--role", "secretary", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tag"] == "tongxin-secretary" and click_keys(out) == ["MY_TASKS", "MONTHLY_REPORT", "PAIRING", "HELP"]
    assert main(["menu", "show", "--role", "admin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["menu"] == "office"  # the admin sees the office menu
    assert main(["menu", "show"]) == 0
    assert "绑定说明  (BIND_HELP)" in capsys.readouterr().out


def test_push_creates_one_conditional_menu_per_role_and_reuses_tags(cli_env, capsys):
    from bot import main
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        cli_env(WECHAT_APP_ID=APPID, WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE=api.base_url)
        assert main(["menu", "push"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert api.menu == load_settings(environ={}).menu.default
        assert sorted(api.tags.values()) == ["tongxin-member", "tongxin-office", "tongxin-secretary"]
        by_tag = {api.tags[int(m["matchrule"]["tag_id"])]: m for m in api.conditional}
        assert set(by_tag) == set(api.tags.values()) and len(api.conditional) == 3
        assert click_keys(by_tag["tongxin-office"])[0] == "TRIAGE"
        assert first["created_tags"] == ["member", "office", "secretary"]
        assert main(["menu", "push"]) == 0  # again: same tags, the previous conditional menus replaced
        second = json.loads(capsys.readouterr().out)
        assert len(api.calls_to("tags/create")) == 3 and len(api.conditional) == 3
        assert sorted(second["deleted"]) == sorted(m["menuid"] for m in first["conditional"])
        assert second["created_tags"] == []


def test_push_refused_by_the_api_fails_loudly(cli_env, capsys):
    from bot import main
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        cli_env(WECHAT_APP_ID=APPID, WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE=api.base_url)
        api.fail_next("menu/addconditional", 65320)
        assert main(["menu", "push"]) == 1
        assert "65320" in capsys.readouterr().err


@pytest.fixture
def fake_api():
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as server:
        yield server


@pytest.fixture
def live(tmp_path, db_url, fake_api, clock):
    """The app with credentials aimed at the fake WeChat API, its client, and one worker pass."""
    from bot import create_app
    from tests.support.wechat_sim import WeChatSim
    settings = make_settings(tmp_path, db_url, WECHAT_APP_ID=APPID, WECHAT_APP_SECRET=SECRET,
                             WECHAT_API_BASE=fake_api.base_url)
    app = create_app(settings, clock=clock)
    state = app.extensions["tongxin"]
    client = make_wechat_client(settings, MemoryTokenStore(APPID), timeout=2)

    class Live:
        factory = state.session_factory
        wechat = WeChatSim(app.test_client(), settings.wechat.token)

        def push(self):
            with self.factory() as session:
                result = push(session, client, settings.menu, now=clock())
                session.commit()
            return result

        def work(self):
            """Worker passes until nothing is due; summed counts."""
            totals: dict = {}
            while (counts := run_once(self.factory, client, settings.delivery, worker="w1", clock=clock))["claimed"]:
                totals = {k: totals.get(k, 0) + v for k, v in counts.items()}
            return totals

        def invite(self, role, branch="eye_ent", deputy=False):
            with self.factory() as session:
                from services.org import structure as org
                org.sync_org(session, settings)
                cons = session.scalars(select(Consortium)).first()
                row = session.scalar(select(Branch).where(Branch.code == branch)) if role == "secretary" else None
                code = people.create_invite(session, role=role, consortium=cons, branch=row, now=clock(), ttl_days=7,
                                            deputy=deputy).code
                session.commit()
            return code

    yield Live()
    state.close()


def test_binding_a_secretary_tags_them_after_the_worker_runs(live, fake_api):
    live.push()
    code = live.invite("secretary")
    assert "绑定成功" in live.wechat.send(f"绑定 {code}", user="o-new-sec")
    assert fake_api.tags_of("o-new-sec") == set()  # nothing before the worker delivers
    assert live.work()["sent"] == 1
    assert fake_api.tags_of("o-new-sec") == {"tongxin-secretary"}
    live.wechat.send("解绑", user="o-new-sec")
    live.work()
    assert fake_api.tags_of("o-new-sec") == set()
    with live.factory() as session:
        assert {t.role: t.menu for t in session.scalars(select(MenuTag))} == {
            "member": "member", "secretary": "secretary", "office": "office", "admin": "office"}


def test_rebinding_to_another_role_moves_the_tag(live, fake_api):
    live.push()
    live.wechat.send(f"绑定 {live.invite('secretary')}", user="o-mover")
    live.wechat.send(f"绑定 {live.invite('office')}", user="o-mover")
    live.work()
    assert fake_api.tags_of("o-mover") == {"tongxin-office"}
    untag = fake_api.calls_to("tags/members/batchuntagging")
    tag = fake_api.calls_to("tags/members/batchtagging")
    assert untag and untag[0]["time"] <= tag[-1]["time"]  # untag first: the tag put on last decides


def test_push_tags_everyone_bound_fifty_openids_a_call(live, fake_api):
    from models.org import Person
    from core.clock import utcnow
    with live.factory() as session:
        for i in range(120):
            session.add(Person(openid=f"o-bulk-{i:03d}", role="member", created_at=utcnow(), bound_at=utcnow()))
        session.commit()
    assert live.push()["tagging_queued"] == 120
    assert live.work()["sent"] == 120
    sizes = [len(c["json"]["openid_list"]) for c in fake_api.calls_to("tags/members/batchtagging")]
    assert sizes == [50, 50, 20]
    assert fake_api.tags_of("o-bulk-119") == {"tongxin-member"}


def test_one_bad_openid_does_not_fail_the_rest_of_its_batch(live, fake_api):
    live.push()
    fake_api.set_rule("o-gone", 40003)
    for user in ("o-ok-1", "o-gone", "o-ok-2"):
        live.wechat.send(f"绑定 {live.invite('secretary', deputy=True)}", user=user)
    counts = live.work()
    assert (counts["sent"], counts["failed"]) == (2, 1)
    assert fake_api.tags_of("o-ok-2") == {"tongxin-secretary"}


def test_before_any_push_binding_queues_no_tag_rows(live):
    from models.outbox import OutboxMessage
    live.wechat.send(f"绑定 {live.invite('office')}", user="o-early")
    with live.factory() as session:
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "tag")).all() == []


# --- no silence: every key and every command word, for every role -------------------------

@pytest.fixture
def walkers(wechat, demo, app, settings, clock):
    """openid per role: unbound, member, secretary, deputy, office, admin."""
    users = {"unbound": "walk-stranger", **ROLE_USERS}
    with app.extensions["tongxin"].session_factory() as session:
        cons = session.scalars(select(Consortium)).first()
        branch = session.scalar(select(Branch).where(Branch.code == "eye_ent"))
        deputy = people.create_invite(session, role="secretary", consortium=cons, branch=branch, deputy=True,
                                      now=clock(), ttl_days=7).code
        admin = people.create_invite(session, role="admin", consortium=cons, now=clock(), ttl_days=7).code
        session.commit()
    assert "绑定成功" in wechat.send(f"绑定 {deputy}", user="walk-deputy")
    assert "绑定成功" in wechat.send(f"绑定 {admin}", user="walk-admin")
    return {**users, "deputy": "walk-deputy", "admin": "walk-admin"}


def test_every_menu_key_answers_every_role(wechat, walkers, settings):
    for who, user in walkers.items():
        for key in CLICK_KEYS:
            reply = wechat.click(key, user=user)
            assert reply, (who, key)
        role = None if who == "unbound" else ("secretary" if who == "deputy" else who)
        for key in click_keys(settings.menu.for_role(role)):  # the role's own buttons do their job
            reply = wechat.click(key, user=user)
            assert NOT_FOR_YOU not in reply and STALE not in reply, (who, key, reply)


def test_every_command_word_answers_every_role(wechat, walkers):
    words = sorted(COMMAND_WORDS - {"解绑"}) + ["解绑"]  # unbinding last
    for who, user in walkers.items():
        for word in words:
            assert wechat.send(word, user=user), (who, word)


def test_a_button_the_role_may_not_use_says_what_it_is_for(wechat, walkers):
    reply = wechat.click("TRIAGE", user=walkers["member"])
    assert "待分派" in reply and "未能自动分派" in reply and "党委办公室" in reply
    reply = wechat.click("MY_REQUESTS", user=walkers["unbound"])
    assert "成员单位" in reply and "绑定 邀请码" in reply
    assert "仅支部书记和副书记" in wechat.send("接单 T-2026-0001", user=walkers["office"])


def test_events_needing_no_answer_get_success(wechat, walkers):
    for event, key in (("unsubscribe", None), ("VIEW", "http://127.0.0.1/"), ("TEMPLATESENDJOBFINISH", None)):
        assert wechat.event(event, walkers["member"], key=key).body == "success"
    assert wechat.event("scancode_push", walkers["member"], key="x").content  # anything else is answered
    assert "菜单按钮已经更新" in wechat.click("GONE_KEY", user=walkers["member"])


def test_report_button_invites_typing(wechat, walkers):
    assert "直接发送" in wechat.click("REPORT", user=walkers["member"])
    assert "绑定 邀请码" in wechat.click("BIND_HELP", user=walkers["unbound"])
    assert "解绑" in wechat.click("BIND_HELP", user=walkers["secretary"])


def test_clicks_answer_like_the_typed_command(wechat, walkers, settings):
    for role, user in ROLE_USERS.items():
        for key in click_keys(settings.menu.for_role(role)):
            if key not in CLICK_ONLY:
                assert wechat.click(key, user=user) == wechat.send(CLICK_KEYS[key], user=user), (role, key)


@pytest.mark.parametrize("menu, key", [
    ({}, "menu.default"),
    ({"default": [{"name": "帮助", "type": "click", "key": "NOPE"}]}, "menu.default[0].key"),
    ({"default": [{"name": "一二三四五六", "type": "click", "key": "HELP"}]}, "menu.default[0].name"),
    ({"default": [{"name": "a", "type": "click", "key": "HELP"}] * 4}, "menu.default"),
    ({"default": [{"name": "我的", "sub_button": [{"name": "x", "type": "click", "key": "HELP"}] * 6}]},
     "menu.default[0].sub_button"),
    ({"default": [{"name": "官网", "type": "view", "url": "ftp://x"}]}, "menu.default[0].url"),
    ({"default": [{"name": "帮助", "type": "click", "key": "HELP"}], "boss": []}, "menu.boss"),
    ({"default": [{"name": "帮助", "type": "click", "key": "HELP"}], "member": []}, "menu.member"),
    ({"default": [{"name": "帮助", "type": "click", "key": "HELP"}], "tag_prefix": "x" * 30}, "menu.tag_prefix"),
])
def test_bad_menu_config_names_the_key(menu, key):
    with pytest.raises(ConfigError) as err:
        load_settings(environ={}, overrides={"menu": menu})
    assert err.value.key == key
