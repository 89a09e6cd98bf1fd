"""`templates check`: delivery.templates against the account's template list (fake WeChat API)."""
from __future__ import annotations

import json

import pytest
import yaml

from services.messages.templates import template_fields
from tests.conftest import ROOT, config_yaml, with_credentials
from tests.support.fake_wechat_api import FakeWeChatAPI

APPID, SECRET = "wx-tpl-test", "tpl-secret"
TASK_CONTENT = "事项：{{thing1.DATA}}\n编号：{{character_string2.DATA}}\n时间：{{time3.DATA}}"
ACCOUNT = [{"template_id": "TPL-TASK", "title": "工单进度通知", "content": TASK_CONTENT},
           {"template_id": "TPL-ALERT", "title": "提醒通知", "content": "{{thing9.DATA}}\n{{time2.DATA}}"}]


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    """Run `templates check` with config.yaml's delivery.templates given these template ids."""
    def apply(ids: dict, *args: str, api: FakeWeChatAPI | None = None):
        data = config_yaml()
        data["routing"] = {**(data.get("routing") or {}), "rules": str(ROOT / "routing" / "rules.yaml")}
        for kind, template_id in ids.items():
            data["delivery"]["templates"][kind]["template_id"] = template_id
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = {"TONGXIN_CONFIG": str(path), "DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
               "TONGXIN_VAR_DIR": str(tmp_path)}
        if api is not None:
            env = with_credentials({**env, "WECHAT_APP_ID": APPID, "WECHAT_APP_SECRET": SECRET,
                                    "WECHAT_API_BASE": api.base_url})
        for key in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_API_BASE", "REDIS_URL", "SECRET_KEY"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        from bot import main
        code = main(["templates", "check", *args])
        return code, capsys.readouterr()
    return apply


def test_template_fields_are_read_from_the_content():
    assert template_fields(TASK_CONTENT) == ["thing1", "character_string2", "time3"]


def test_check_says_which_templates_are_ok_missing_wrong_or_unconfigured(run):
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        api.templates = ACCOUNT
        code, out = run({"task_new": "TPL-TASK", "task_update": "TPL-GONE", "alert": "TPL-ALERT"}, "--json", api=api)
        assert [c["path"] for c in api.calls][-1] == "template/get_all_private_template"
    result = json.loads(out.out)
    status = {k["kind"]: k["status"] for k in result["kinds"]}
    assert status == {"task_new": "ok", "task_update": "missing", "alert": "wrong",
                      "task_resolved": "unconfigured", "reminder": "unconfigured"}
    alert = next(k for k in result["kinds"] if k["kind"] == "alert")
    assert "thing1" in alert["problem"] and alert["template_fields"] == ["thing9", "time2"]
    assert [t["title"] for t in result["account_templates"]] == ["工单进度通知", "提醒通知"]
    assert code == 1 and result["ok"] is False


def test_check_passes_when_every_kind_fits(run):
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as api:
        api.templates = ACCOUNT
        ids = dict.fromkeys(("task_new", "task_update", "task_resolved"), "TPL-TASK")
        api.templates = ACCOUNT + [{"template_id": "TPL-R", "title": "提醒", "content": "{{thing1.DATA}}{{time2.DATA}}"}]
        code, out = run({**ids, "alert": "TPL-R", "reminder": "TPL-R"}, api=api)
    assert code == 0 and "✓ task_new" in out.out and "工单进度通知" in out.out


def test_check_in_sandbox_mode_says_what_is_missing(run):
    code, out = run({})
    assert code == 1 and "WECHAT_APP_ID" in out.err
