"""Webhook throughput: the full pipeline vs a bare Flask + wechatpy echo, same run, same workers.

    .venv/bin/python benchmarks/bench_webhook.py [--seconds 10] [--connections 16] [--workers 2]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--modes plain,aes] [--conn keepalive,close]
        [--backends sqlite,postgresql] [--ablate classify,database] [--senders members,strangers]

Both servers run under gunicorn exactly as `python bot.py serve` runs them. The
load comes from wrk (Debian package; installed with apt-get when missing) with a
Lua script replaying messages signed (and AES-encrypted) by wechatpy the way
WeChat's servers do: every request a new MsgId from a bound demo member, so
each one is verified, decrypted, parsed, deduped, classified, numbered, stored
(group commit: durable before the answer) and answered; its task and
notifications are made by `bot.py worker` (`--intake worker`, as in production),
which this benchmark does not run. The warm-up uses messages of its own, so the
measured run has no retries. Prints requests/s, p99, the ratio to the echo, RSS
per worker and start-up time.

`--senders members,strangers` (default both): besides the member rows, a
`strangers` row per database floods the server with messages from distinct
unbound openids (anyone may follow the account): each is looked up, stored
through the same group commit and answered with the bind prompt. `vs members`
is the stranger rate over the member rate of the same round.

`--ablate classify,database` also serves the full app with one stage taken out
at a time (benchmarks/ablate/sitecustomize.py) and prints those rows as
`-classify` / `-database` (`classify+database` takes both out at once): what
each stage costs, measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wxbench0000000001"
AES_TOKEN = "tongxin-bench"  # safe mode runs are not sandbox: a token of their own
TEXTS = ["产科胎心监护仪不会用，想请县医院妇产科来培训", "我们的B超机坏了开不了机，麻烦后勤来修一下",
         "想请眼科专家来村里做一次白内障筛查", "高血压病人血压控制不好，想请内科会诊调整用药",
         "护士想到县医院进修伤口造口护理", "心肺复苏培训能不能安排一次", "卫生院电脑连不上网，系统打不开",
         "老年人体检的报告什么时候出来", "组织关系转接需要哪些材料", "骨折病人术后康复怎么指导"]
MEMBERS = ["demo-member-BSZ", "demo-member-QSZ", "demo-member-HTX", "demo-member-LSX", "demo-member-CNSQ"]

LUA = r"""
local lines, idx, n = {}, 0, 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  idx = tid; n = tonumber(args[2])
end
function request()
  local line = lines[(idx % #lines) + 1]
  idx = idx + n
  local tab = string.find(line, "\t")
  local headers = {["Content-Type"] = "text/xml"}
  if os.getenv("BENCH_CLOSE") == "1" then headers["Connection"] = "close" end
  return wrk.format("POST", string.sub(line, 1, tab - 1), headers, string.sub(line, tab + 1))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        print("installing wrk (Debian package) ...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        if shutil.which("wrk") is None:
            subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk")


def make_requests(path: Path, count: int, aes: bool, token: str, first_id: int = 0,
                  strangers: bool = False) -> None:
    """Signed (and encrypted) request lines 'path?query<TAB>body', one per unique message.

    strangers: every message from a different unbound openid instead of the bound demo members.
    """
    from wechatpy.crypto import WeChatCrypto
    from core.wechat import cdata, sign
    crypto = WeChatCrypto(token, AES_KEY, APP_ID) if aes else None
    ts = str(int(time.time()))
    base = int(time.time() * 1000) * 1000 + first_id
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(count):
            nonce = str(100000 + i)
            user = f"stranger-{first_id + i}" if strangers else MEMBERS[i % len(MEMBERS)]
            xml = (f"<xml><ToUserName>{cdata('gh_bench')}</ToUserName><FromUserName>{cdata(user)}</FromUserName>"
                   f"<CreateTime>{ts}</CreateTime><MsgType>{cdata('text')}</MsgType>"
                   f"<Content>{cdata(TEXTS[i % len(TEXTS)])}</Content><MsgId>{base + i}</MsgId></xml>")
            query = f"/wechat?signature={sign(token, ts, nonce)}&timestamp={ts}&nonce={nonce}&openid={user}"
            if crypto is not None:
                envelope = crypto.encrypt_message(xml, nonce, ts)
                enc = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope).group(1)
                msig = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
                query += f"&encrypt_type=aes&msg_signature={msig}"
                xml = f"<xml><ToUserName>{cdata('gh_bench')}</ToUserName><Encrypt>{cdata(enc)}</Encrypt></xml>"
            fh.write(query + "\t" + xml + "\n")


def start(cmd: list[str], env: dict, port: int, log: Path) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status in (200, 404):
                    return proc, time.perf_counter() - started
        except OSError as exc:
            if getattr(exc, "code", None) == 404:  # the echo app has no /healthz: up is up
                return proc, time.perf_counter() - started
        time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"server did not start, see {log}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def worker_rss_mib(proc: subprocess.Popen) -> list[float]:
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(proc.pid)], capture_output=True, text=True).stdout
    return [int(x) / 1024 for x in out.split()]


def run_wrk(wrk: str, port: int, lua: Path, reqs: Path, seconds: int, conns: int, close: bool) -> dict:
    env = {**os.environ, "BENCH_CLOSE": "1" if close else "0"}
    out = subprocess.run([wrk, "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(lua),
                          f"http://127.0.0.1:{port}", "--", str(reqs), "2"],
                         capture_output=True, text=True, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99_ms": p99_ms, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else ""}


def first_messages_config(tmp: Path) -> Path:
    """config.yaml with bursts off: the few demo members' thousands of distinct requests a second are
    measured as the fast lane's ordinary first messages, not as one long burst (the full path's job)."""
    import yaml
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["routing"] = {"rules": str(ROOT / "routing/rules.yaml"), "user_dict": str(ROOT / "routing/userdict.txt")}
    data["tasks"]["burst_minutes"] = 1e-7
    data["tasks"]["same_matter_hours"] = 1e-9  # nor a "same matter?" question after the demo acceptances
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def base_env(tmp: Path, aes: bool, db_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL", "TONGXIN_"))}
    env.update(TONGXIN_VAR_DIR=str(tmp), PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING",
               TONGXIN_CONFIG=str(first_messages_config(tmp)))
    if aes:
        env.update(WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID, WECHAT_TOKEN=AES_TOKEN,
                   SECRET_KEY="tongxin-bench-secret-key-0123456789")  # credentials set: not sandbox
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def reset_pg(url: str) -> None:
    from models.db import drop_schema, make_engine
    engine = make_engine(url)
    drop_schema(engine)
    engine.dispose()


def bench_one(label: str, cmd: list[str], env: dict, port: int, wrk: str, lua: Path, reqs: Path,
              args, close: bool, tmp: Path) -> dict:
    proc, startup = start(cmd, env, port, tmp / f"{label}.log")
    try:
        # warm-up with messages of their own: replaying them in the measured run would make retries
        run_wrk(wrk, port, lua, reqs.with_suffix(".warmup"), 2, args.connections, close)
        result = run_wrk(wrk, port, lua, reqs, args.seconds, args.connections, close)
        result["rss_mib"] = worker_rss_mib(proc)
        result["startup_s"] = startup
    finally:
        stop(proc)
    return result


def summarize(results: list[dict]) -> list[dict]:
    """One row per server and setting: the median of the rounds (ratios taken within each round)."""
    from statistics import median
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["server"], r["db"], r["mode"], r["conn"]), []).append(r)
    rows = []
    for runs in groups.values():
        row = {**runs[0], "rounds": len(runs), "non2xx": sum(r["non2xx"] for r in runs),
               "rss_mib": [max(r["rss_mib"][i] for r in runs if len(r["rss_mib"]) > i)
                           for i in range(max(len(r["rss_mib"]) for r in runs))]}
        for key in ("rps", "p99_ms", "startup_s", "ratio", "ratio_sync", "vs_members"):
            if key in runs[0]:
                row[key] = median(r[key] for r in runs)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pg", default=os.environ.get("TONGXIN_TEST_DATABASE_URL",
                                                   "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--modes", default="plain,aes")
    ap.add_argument("--conn", default="keepalive,close")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--worker-class", default="auto", help="auto: gthread on SQLite, gevent on PostgreSQL")
    ap.add_argument("--ablate", default="",
                    help="also serve the full app with a stage taken out, e.g. classify,database,classify+database "
                         "(benchmarks/ablate/sitecustomize.py; a measurement of what each stage costs, not a mode)")
    ap.add_argument("--senders", default="members,strangers",
                    help="members: bound demo members; strangers: a flood of distinct unbound openids")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every measurement; medians are printed")
    ap.add_argument("--intake", default="worker", help="serve --intake (worker: tasks made by `bot.py worker`)")
    ap.add_argument("--no-sync-reference", dest="sync_reference", action="store_false",
                    help="skip the echo under sync workers (the performance notes' reference point)")
    args = ap.parse_args()
    wrk = ensure_wrk()
    results = []
    for mode in args.modes.split(","):
        aes = mode == "aes"
        for conn in args.conn.split(","):
            close = conn == "close"
            for rnd in range(args.rounds):  # interleaved rounds: the machine drifts more than the pipeline
                with tempfile.TemporaryDirectory() as tmp_name:
                    tmp = Path(tmp_name)
                    lua, reqs = tmp / "wechat.lua", tmp / "requests.txt"
                    lua.write_text(LUA)
                    token = AES_TOKEN if aes else "tongxin-dev"
                    make_requests(reqs, 80000, aes, token)
                    make_requests(reqs.with_suffix(".warmup"), 20000, aes, token, first_id=500_000)
                    strangers = tmp / "strangers.txt"
                    make_requests(strangers, 80000, aes, token, strangers=True)
                    make_requests(strangers.with_suffix(".warmup"), 20000, aes, token, first_id=500_000,
                                  strangers=True)
                    echoes: dict[str, dict] = {}

                    def echo_for(wclass: str) -> dict:
                        if wclass not in echoes:
                            port = free_port()
                            echo_cmd = [PY, "-m", "gunicorn", "-w", str(args.workers), "-k", wclass,
                                        "--threads", "8", "--worker-connections", "256",
                                        "-b", f"127.0.0.1:{port}", "--log-level", "warning", "benchmarks.echo_app:app"]
                            echoes[wclass] = bench_one(f"echo-{wclass}", echo_cmd, base_env(tmp, aes, None), port, wrk,
                                                       lua, reqs, args, close, tmp)
                            results.append({"server": "echo", "db": wclass, "mode": mode, "conn": conn, "round": rnd,
                                            **echoes[wclass]})
                        return echoes[wclass]

                    if args.sync_reference:
                        echo_for("sync")  # the spec's reference: gunicorn -k sync -w 2
                    for backend in args.backends.split(","):
                        wclass = args.worker_class if args.worker_class != "auto" else \
                            ("gthread" if backend == "sqlite" else "gevent")
                        echo = echo_for(wclass)  # the strict reference: the same worker class and settings
                        db_url = f"sqlite:///{tmp / 'bench.db'}" if backend == "sqlite" else args.pg
                        env = base_env(tmp, aes, db_url)
                        port = free_port()
                        cmd = [PY, "bot.py", "serve", "--port", str(port), "--workers", str(args.workers),
                               "--intake", args.intake, "--worker-class", wclass]
                        runs = [("full", reqs, "")] if "members" in args.senders else []
                        runs += [(f"-{a}", reqs, a) for a in args.ablate.split(",") if a]
                        runs += [("strangers", strangers, "")] if "strangers" in args.senders else []
                        members_rps = None
                        for server, requests, ablate in runs:
                            # a fresh database for every server: the same message ids are new again, no retries
                            if backend == "postgresql":
                                reset_pg(db_url)
                            else:
                                (tmp / "bench.db").unlink(missing_ok=True)
                            subprocess.run([PY, "bot.py", "init-db", "--demo"], cwd=ROOT, env=env, check=True,
                                           capture_output=True)
                            run_env = env if not ablate else dict(
                                env, TONGXIN_BENCH_ABLATE=ablate.replace("+", ","),
                                PYTHONPATH=f"{ROOT / 'benchmarks' / 'ablate'}{os.pathsep}{ROOT}")
                            full = bench_one(f"{backend}-{server}", cmd, run_env, port, wrk, lua, requests, args,
                                             close, tmp)
                            full["ratio"] = full["rps"] / echo["rps"]
                            if "sync" in echoes:
                                full["ratio_sync"] = full["rps"] / echoes["sync"]["rps"]
                            if server == "full":
                                members_rps = full["rps"]
                            elif server == "strangers" and members_rps:
                                full["vs_members"] = full["rps"] / members_rps
                            results.append({"server": server, "db": f"{backend}/{wclass}",
                                            "mode": mode, "conn": conn, "round": rnd, **full})
    rounds = f"; medians of {args.rounds} interleaved rounds, RSS the largest" if args.rounds > 1 else ""
    print("ratio: full / echo with the same worker class; vs sync: full / echo under gunicorn -k sync "
          f"(both {args.workers} workers, same run){rounds}")
    print(f"{'server':9} {'db/worker':18} {'mode':5} {'conn':9} {'req/s':>8} {'p99 ms':>7} {'ratio':>6} "
          f"{'vs sync':>7} {'vs members':>10} {'non2xx':>6} {'RSS/worker MiB':>16} {'start s':>7}")
    for r in summarize(results):
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
        ratio_sync = f"{r['ratio_sync']:.2f}x" if "ratio_sync" in r else ""
        vs_members = f"{r['vs_members']:.2f}x" if "vs_members" in r else ""
        rss = "/".join(f"{x:.0f}" for x in r["rss_mib"])
        print(f"{r['server']:9} {r['db']:18} {r['mode']:5} {r['conn']:9} {r['rps']:8.0f} {r['p99_ms']:7.1f} "
              f"{ratio:>6} {ratio_sync:>7} {vs_members:>10} {r['non2xx']:6d} {rss:>16} {r['startup_s']:7.2f}")
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
