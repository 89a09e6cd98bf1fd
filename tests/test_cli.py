"""The CLI contracts of the foundation: every --json output is valid JSON on stdout, logs on stderr."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bot.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **env}, timeout=120)


def test_json_commands_print_json_and_invite_binds(tmp_path, db_url, clock):
    env = {"DATABASE_URL": db_url, "TONGXIN_VAR_DIR": str(tmp_path)}
    assert run(env, "init-db").returncode == 0
    invite = json.loads(run(env, "invite", "create", "--role", "secretary", "--branch", "eye_ent", "--json").stdout)
    assert set(invite) >= {"code", "role", "expires_at"} and invite["role"] == "secretary"
    member = json.loads(run(env, "invite", "create", "--role", "member", "--unit", "BSZ", "--json").stdout)
    assert member["multi_use"] is True and member["unit"] == "BSZ"
    bad = run(env, "invite", "create", "--role", "secretary", "--json")
    assert bad.returncode != 0 and "--branch" in bad.stderr and bad.stdout == ""
    units = json.loads(run(env, "units", "list", "--json").stdout)
    assert {"BSZ", "QSZ"} <= {u["code"] for u in units} and all("paired_branches" in u for u in units)
    branches = json.loads(run(env, "branches", "list", "--json").stdout)
    assert {b["code"] for b in branches} >= {"admin", "eye_ent", "logistics"}
    assert json.loads(run(env, "people", "list", "--json").stdout) == []
    assert json.loads(run(env, "outbox", "list", "--json").stdout) == []
    assert json.loads(run(env, "tasks", "list", "--json").stdout) == []
    decision = json.loads(run(env, "classify", "B超机坏了开不了机").stdout)
    assert decision["branch"] == "logistics" and decision["keywords"]
