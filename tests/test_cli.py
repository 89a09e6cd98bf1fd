"""The CLI contracts of the foundation: every --json output is valid JSON on stdout, logs on stderr.

Commands run in-process through click's CliRunner; one smoke test runs `python bot.py` for real.
"""
from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner, Result

from bot import cli
from tests.conftest import ROOT


def invoke(env: dict, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_json_commands_print_json_and_invite_binds(tmp_path, db_url):
    env = {"DATABASE_URL": db_url, "TONGXIN_VAR_DIR": str(tmp_path)}
    assert invoke(env, "init-db").exit_code == 0
    invite = json.loads(invoke(env, "invite", "create", "--role", "secretary", "--branch", "eye_ent", "--json").stdout)
    assert set(invite) >= {"code", "role", "expires_at"} and invite["role"] == "secretary"
    member = json.loads(invoke(env, "invite", "create", "--role", "member", "--unit", "BSZ", "--json").stdout)
    assert member["multi_use"] is True and member["unit"] == "BSZ"
    bad = invoke(env, "invite", "create", "--role", "secretary", "--json")
    assert bad.exit_code != 0 and "--branch" in bad.stderr and bad.stdout == ""
    units = json.loads(invoke(env, "units", "list", "--json").stdout)
    assert {"BSZ", "QSZ"} <= {u["code"] for u in units} and all("paired_branches" in u for u in units)
    branches = json.loads(invoke(env, "branches", "list", "--json").stdout)
    assert {b["code"] for b in branches} >= {"admin", "eye_ent", "logistics"}
    assert json.loads(invoke(env, "people", "list", "--json").stdout) == []
    assert json.loads(invoke(env, "outbox", "list", "--json").stdout) == []
    assert json.loads(invoke(env, "tasks", "list", "--json").stdout) == []
    decision = json.loads(invoke(env, "classify", "B超机坏了开不了机").stdout)
    assert decision["branch"] == "logistics" and decision["keywords"]


def test_real_process_smoke_json_on_stdout_logs_on_stderr(tmp_path):
    """`python bot.py` as an operator runs it: migrates an empty database, JSON alone on stdout."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'smoke.db'}",
           "TONGXIN_VAR_DIR": str(tmp_path), "LOG_LEVEL": "INFO"}
    proc = subprocess.run([sys.executable, "bot.py", "init-db", "--demo"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert counts["demo"] and counts["branches"] > 0
    assert "Traceback" not in proc.stderr
