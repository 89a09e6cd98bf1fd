"""Configuration: one module per config.yaml section, parsed once by `load_settings`.

Every section becomes frozen dataclasses; a mistake anywhere raises `ConfigError`
naming the key, at start-up. Secrets come from the environment only.
"""
from core.config.errors import ConfigError
from core.config.org import BranchConf, ConsortiumConf, PairingConf, UnitConf
from core.config.settings import BASE_DIR, DEFAULT_CONFIG, SECRET_VARS, RoutingConf, Settings, WebhookConf, load_settings
from core.config.wechat import SANDBOX_TOKEN, WECHAT_API_DEFAULT, WECHAT_CREDENTIALS, WeChatConf, is_sandbox

__all__ = ["BASE_DIR", "DEFAULT_CONFIG", "SECRET_VARS", "SANDBOX_TOKEN", "WECHAT_API_DEFAULT", "BranchConf",
           "ConfigError", "ConsortiumConf", "PairingConf", "RoutingConf", "Settings", "UnitConf", "WeChatConf",
           "WebhookConf", "load_settings", "WECHAT_CREDENTIALS", "is_sandbox"]
