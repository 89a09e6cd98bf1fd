"""WeChat credentials and API base, from the environment only (never from config.yaml)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from core.config.errors import ConfigError

SANDBOX_TOKEN = "tongxin-dev"
WECHAT_API_DEFAULT = "https://api.weixin.qq.com/cgi-bin/"
WECHAT_CREDENTIALS = ("WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET")


def is_sandbox(env: Mapping[str, str]) -> bool:
    """Sandbox mode, the one definition: no WeChat credential of any kind in the environment.

    Only then may the app run without SECRET_KEY, use the public token `tongxin-dev`
    and serve the simulator; outbound messages are stored, not sent."""
    return not any(env.get(name) for name in WECHAT_CREDENTIALS)


@dataclass(frozen=True)
class WeChatConf:
    token: str
    aes_key: str | None
    app_id: str
    app_secret: str | None
    api_base: str
    sandbox: bool = False  # is_sandbox(environment): no WeChat credential of any kind


def wechat_from_env(env: Mapping[str, str], production: bool) -> WeChatConf:
    if production:
        for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "SECRET_KEY"):
            if not env.get(name):
                raise ConfigError(name, "required when TONGXIN_ENV=production (set the environment variable)")
    aes_key = env.get("WECHAT_AES_KEY") or None
    if aes_key is not None and len(aes_key) != 43:
        raise ConfigError("WECHAT_AES_KEY", f"expected 43 characters (EncodingAESKey), got {len(aes_key)}")
    sandbox = is_sandbox(env)
    for name in () if sandbox else ("SECRET_KEY", "WECHAT_TOKEN"):
        if not env.get(name):
            raise ConfigError(name, f"required when any WeChat credential is set ({', '.join(WECHAT_CREDENTIALS)}); "
                                    "only sandbox mode runs without it")
    api_base = env.get("WECHAT_API_BASE") or WECHAT_API_DEFAULT
    if not api_base.endswith("/"):
        api_base += "/"
    return WeChatConf(token=env.get("WECHAT_TOKEN") or SANDBOX_TOKEN, aes_key=aes_key,
                      app_id=env.get("WECHAT_APP_ID") or "sandbox",
                      app_secret=env.get("WECHAT_APP_SECRET") or None, api_base=api_base, sandbox=sandbox)
