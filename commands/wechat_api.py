"""`fake-wechat-api`: the local imitation of WeChat's API for demos and benchmarks."""
from __future__ import annotations

import click


@click.command("fake-wechat-api")
@click.option("--port", default=9100, type=int, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--quiet", is_flag=True, help="Do not log each request (benchmarks).")
def fake_wechat_api(port: int, host: str, quiet: bool) -> None:
    """Serve a fake WeChat API on 127.0.0.1 (token, stable_token, custom/template send, menu)."""
    from tests.support.fake_wechat_api import main
    raise SystemExit(main(["--host", host, "--port", str(port)] + (["--quiet"] if quiet else [])))


COMMANDS = (fake_wechat_api,)
