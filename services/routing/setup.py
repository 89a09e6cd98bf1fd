"""Load the routing rules and the jieba dictionary once per process, at start-up."""
from __future__ import annotations

import routing
from core.config import ConfigError, Settings


def load_routing(settings: Settings) -> "routing.Rules":
    try:
        rules = routing.load_rules(settings.routing.rules_path)
    except routing.RulesError as exc:
        raise ConfigError("routing.rules", str(exc)) from None
    except FileNotFoundError:
        raise ConfigError("routing.rules", f"file not found: {settings.routing.rules_path}") from None
    user_dict = settings.routing.user_dict_path
    if user_dict is not None and not user_dict.exists():
        raise ConfigError("routing.user_dict", f"file not found: {user_dict}")
    routing.init_segmenter(user_dict, settings.var_dir, token_chars=rules.token_chars)
    return rules
