"""Settings: config mistakes name the key; secrets only from the environment."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.config import SANDBOX_TOKEN, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def write_config(tmp_path, mutate) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["routing"] = {"rules": str(ROOT / "routing/rules.yaml"), "user_dict": str(ROOT / "routing/userdict.txt")}
    mutate(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def branches(d):
    return d["consortia"][0]["branches"]


@pytest.mark.parametrize("mutate, key, words", [
    (lambda d: branches(d)[7].update(code="eye_ent"), "consortia[0].branches[7].code", 'duplicate "eye_ent"'),
    (lambda d: branches(d)[0].pop("name"), "consortia[0].branches[0].name", "missing"),
    (lambda d: d["consortia"][0]["units"][2].update(kind="hospital"), "consortia[0].units[2].kind", "expected one of"),
    (lambda d: d["consortia"][0]["units"][0].update(pairs=["nope"]), "consortia[0].units[0].pairs[0]", 'unknown branch "nope"'),
    (lambda d: d.update(timezone="Mars/Base"), "timezone", "unknown time zone"),
    (lambda d: d["webhook"].update(max_body_bytes="big"), "webhook.max_body_bytes", "expected an integer"),
    (lambda d: d["invites"].update(ttl_days=0), "invites.ttl_days", "expected an integer 1..365"),
    (lambda d: d.setdefault("reports", {}).update(deadline=31), "reports.deadline",
     'expected 1..28 or "last_workday", got 31'),
    (lambda d: d.setdefault("tasks", {}).update(quiet_hours="9pm"), "tasks.quiet_hours", "HH:MM-HH:MM"),
    (lambda d: d.setdefault("delivery", {}).update(threads=0), "delivery.threads", "1..64"),
    (lambda d: d.setdefault("scheduler", {}).update(catch_up_hours=-1), "scheduler.catch_up_hours", "0..744"),
    (lambda d: d.setdefault("calendar", {}).update(extra_workdays=["2027-02-30"]), "calendar.extra_workdays[0]",
     "YYYY-MM-DD"),
    (lambda d: d.pop("consortia"), "consortia", "non-empty list"),
])
def test_config_error_names_the_key(tmp_path, mutate, key, words):
    path = write_config(tmp_path, mutate)
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert err.value.key == key
    assert words in str(err.value)


def test_sandbox_without_credentials(tmp_path):
    s = load_settings(write_config(tmp_path, lambda d: None), environ={})
    assert s.sandbox and s.wechat.token == SANDBOX_TOKEN


def test_production_refuses_missing_secret_naming_it(tmp_path):
    path = write_config(tmp_path, lambda d: None)
    env = {"TONGXIN_ENV": "production", "WECHAT_TOKEN": "t", "WECHAT_APP_ID": "wx1", "SECRET_KEY": "k"}
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ=env)
    assert err.value.key == "WECHAT_APP_SECRET"
    s = load_settings(path, environ={**env, "WECHAT_APP_SECRET": "s"})
    assert not s.sandbox and s.wechat.token == "t"


def test_bad_aes_key_length_is_named(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(write_config(tmp_path, lambda d: None), environ={"WECHAT_AES_KEY": "short"})
    assert err.value.key == "WECHAT_AES_KEY"


def test_cli_prints_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    import bot
    path = write_config(tmp_path, lambda d: branches(d)[7].update(code="eye_ent"))
    monkeypatch.setenv("TONGXIN_CONFIG", str(path))
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    assert bot.main(["branches", "list", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == 'ConfigError: consortia[0].branches[7].code: duplicate "eye_ent"'
    assert "Traceback" not in err


def test_metrics_token_comes_from_the_environment(tmp_path):
    path = write_config(tmp_path, lambda d: None)
    assert load_settings(path, environ={}).metrics_token is None
    assert load_settings(path, environ={"METRICS_TOKEN": "t0k"}).metrics_token == "t0k"


def test_a_mistake_in_any_section_stops_start_up(tmp_path, monkeypatch, capsys):
    """Sections read only by one feature (reports) are checked at start, not at the first 月报."""
    import bot
    path = write_config(tmp_path, lambda d: d.setdefault("reports", {}).update(deadline=31))
    monkeypatch.setenv("TONGXIN_CONFIG", str(path))
    monkeypatch.setenv("TONGXIN_VAR_DIR", str(tmp_path))
    assert bot.main(["branches", "list", "--json"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        'ConfigError: reports.deadline: expected 1..28 or "last_workday", got 31'
