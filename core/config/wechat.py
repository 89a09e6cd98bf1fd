"""WeChat credentials and API base, from the environment only (never from config.yaml)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from core.config.errors import ConfigError

SANDBOX_TOKEN = "tongxin-dev"
WECHAT_API_DEFAULT = "https://api.weixin.qq.com/cgi-bin/"


@dataclass(frozen=True)
class WeChatConf:
    token: str
    aes_key: str | None
    app_id: str
    app_secret: str | None
    api_base: str

    @property
    def sandbox(self) -> bool:
        """No real credentials: outbound messages are stored, not sent."""
        return not (self.app_id and self.app_secret) or self.app_id == "sandbox"


def wechat_from_env(env: Mapping[str, str], production: bool) -> WeChatConf:
    if production:
        for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "SECRET_KEY"):
            if not env.get(name):
                raise ConfigError(name, "required when TONGXIN_ENV=production (set the environment variable)")
    aes_key = env.get("WECHAT_AES_KEY") or None
    if aes_key is not None and len(aes_key) != 43:
        raise ConfigError("WECHAT_AES_KEY", f"expected 43 characters (EncodingAESKey), got {len(aes_key)}")
    api_base = env.get("WECHAT_API_BASE") or WECHAT_API_DEFAULT
    if not api_base.endswith("/"):
        api_base += "/"
    return WeChatConf(token=env.get("WECHAT_TOKEN") or SANDBOX_TOKEN, aes_key=aes_key,
                      app_id=env.get("WECHAT_APP_ID") or "sandbox",
                      app_secret=env.get("WECHAT_APP_SECRET") or None, api_base=api_base)
