"""The one error a configuration mistake raises: its message names the key."""
from __future__ import annotations


class ConfigError(Exception):
    """A configuration mistake; the message names the offending key."""

    def __init__(self, key: str, problem: str):
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")
