"""Routers and filters: first match wins; a handler returning None means "not mine"."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from core.config import Settings
from core.wechat import Inbound
from models.org import Person
from services.tasks.plan import COMMAND_WORDS, TASK_NO, looks_like_command  # noqa: F401 (re-exported)

Handler = Callable[[Inbound, "Context"], "str | None"]
Filter = Callable[[Inbound, "Context"], "bool | dict"]


@dataclass
class Context:
    """What a handler may use: the session (never committed here), settings, the sender."""
    session: Session
    settings: Settings
    member: Person
    now: datetime
    rules: Any = None
    inbound_id: int | None = None
    args: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)  # facts for the boundary (metrics), e.g. routed_to
    cache: dict = field(default_factory=dict)  # looked up once per message, shared by filters (once())

    @property
    def sandbox(self) -> bool:
        return self.settings.sandbox

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        """`make()` the first time a filter or handler of this message asks for `key`, then the same value."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


class Router:
    def __init__(self, name: str):
        self.name = name
        self._routes: list[tuple[tuple[Filter, ...], Handler]] = []

    def on(self, *filters: Filter) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._routes.append((filters, fn))
            return fn
        return register

    def include(self, other: "Router") -> None:
        self._routes.append(((), other.dispatch))

    def dispatch(self, msg: Inbound, ctx: Context) -> str | None:
        for filters, fn in self._routes:
            args = _match(filters, msg, ctx)
            if args is None:
                continue
            saved = ctx.args
            ctx.args = {**saved, **args}
            try:
                reply = fn(msg, ctx)
            finally:
                ctx.args = saved
            if reply is not None:
                if args.get("number"):
                    ctx.notes.setdefault("task", args["number"])
                return reply
        return None


def _match(filters: tuple[Filter, ...], msg: Inbound, ctx: Context) -> dict | None:
    args: dict = {}
    for f in filters:
        result = f(msg, ctx)
        if not result:
            return None
        if isinstance(result, dict):
            args.update(result)
    return args


# --- filters ---------------------------------------------------------------

def command(*words: str, number: bool = False, click: str | None = None) -> Filter:
    """Text starting with one of `words` (then a space or the end); or a menu CLICK with key `click`.

    Gives `rest` (text after the word) and, with number=True, `number` (T-YYYY-NNNN or None).
    """
    COMMAND_WORDS.update(words)

    def match(msg: Inbound, ctx: Context) -> bool | dict:
        if click and msg.msg_type == "event" and msg.event == "click" and msg.event_key == click:
            return {"rest": "", "number": None, "via_click": True}
        if msg.msg_type not in ("text", "voice"):
            return False
        text = msg.text
        for word in words:
            if text == word or (text.startswith(word) and text[len(word)] in " \u3000:："):
                rest = text[len(word):].strip(" \u3000:：")
                if not number:
                    return {"rest": rest}
                m = TASK_NO.match(rest)
                if m:
                    return {"number": m.group(1).upper(), "rest": m.group(2).strip()}
                return {"number": None, "rest": rest}
        return False
    return match


def click(*keys: str) -> Filter:
    """A menu CLICK with one of `keys` (a button with no typed command, like 我要反映)."""
    return lambda msg, ctx: msg.msg_type == "event" and msg.event == "click" and msg.event_key in keys


def msg_type(*types: str) -> Filter:
    return lambda msg, ctx: msg.msg_type in types


def event(*names: str) -> Filter:
    return lambda msg, ctx: msg.msg_type == "event" and msg.event in names


def role(*roles: str) -> Filter:
    return lambda msg, ctx: ctx.member.role in roles


def unbound() -> Filter:
    return lambda msg, ctx: not ctx.member.bound


def free_text() -> Filter:
    """Any text or recognised voice with something in it."""
    return lambda msg, ctx: msg.msg_type in ("text", "voice") and bool(msg.text)
