"""What a text means, decided once for both intake paths (the full router path and the fast lane).

`plan(text, identity, rules)` says whether a text is a command (the routers
decide), small talk, a stranger's message to keep until they bind, or a new
request with its routing decision. The full path (handlers/member.py) and the
fast lane (handlers/fastlane.py) both call it, so they cannot disagree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from routing import classify, normalize

COMMAND, TALK, PENDING, REQUEST = "command", "talk", "pending", "request"
SMALL_TALK_MAX = 6  # a triage text this short (你好, 谢谢, 在吗) is talk, not a request
RATING_MAX = 40  # a text this short starting with 1-5 may rate the latest resolved task
RATING = re.compile(r"^\s*([1-5])\s*(?:分)?\s*(.*)$", re.S)  # a rating: "5", "4分 很及时"
TASK_NO = re.compile(r"^(T-\d{4}-\d{4,})\s*(.*)$", re.S | re.I)
THANKS, GREETING, PROMPT = "thanks", "greeting", "prompt"  # kinds of small talk (what the reply says)
COURTESY = re.compile(r"^(?:谢谢|多谢|感谢|谢了|谢啦|好的|好滴|好|嗯+|哦+|ok|okay|收到|已收到|收到了|辛苦了|辛苦|辛苦各位|明白|"
                      r"明白了|知道了|了解|行|可以|没问题|老师|您|你|啦|了|呀|哈+|啊|大家|各位|再见|拜拜|点赞)+$")
GREETINGS = re.compile(r"^(?:你好|您好|早上好|上午好|中午好|下午好|晚上好|早|在吗|在不在|有人吗|老师|哈喽|嗨|hi|hello|呀|啊)+$")
EMOJI_CODE = re.compile(r"\[[\u4e00-\u9fff\w]{1,6}\]|/:[^\s/\u4e00-\u9fff]{1,8}")  # [微笑] [强] /::) /:handclap
NOT_WORD = re.compile(r"[\W_]+")  # punctuation, emoji, spaces
UNSHOWN = "收到不支持的消息类型"  # what a client sends for a sticker an official account cannot show
COMMAND_WORDS: set[str] = set()  # every word some command filter accepts (handlers.router.command adds them)


def looks_like_command(text: str) -> bool:
    """The text starts with a command word (maybe one this user may not use, or misspelt after it)."""
    head = text.split(maxsplit=1)[0] if text.split() else ""
    return head in COMMAND_WORDS or bool(TASK_NO.match(text.split(maxsplit=1)[-1] if " " in text else ""))


def maybe_rating(text: str) -> bool:
    """A bare 1-5 (with a short comment) may rate the sender's latest resolved task."""
    return len(text) <= RATING_MAX and bool(RATING.match(text))


@dataclass(frozen=True)
class Identity:
    """Who sent a message, as far as intake needs to know (a stranger has no role)."""
    person_id: int | None = None
    role: str | None = None
    consortium_id: int | None = None
    unit_id: int | None = None

    @property
    def bound(self) -> bool:
        return self.role is not None

    @classmethod
    def of(cls, person: Any) -> "Identity":
        return cls(person.id, person.role, person.consortium_id, person.unit_id)


STRANGER = Identity()


@dataclass(frozen=True)
class Plan:
    """kind: command | talk | pending | request; a request carries its routing decision.

    `rating` marks a member's text that may first rate their latest resolved task
    (the full path tries that; only if there is none is the text what `kind` says).
    """
    kind: str
    decision: Any = None
    rating: bool = False
    talk: str | None = None  # for small talk: thanks | greeting | prompt

    @property
    def routed_to(self) -> str | None:
        """The branch code the request goes to ("triage": the office), None for no request."""
        return self.decision.branch if self.decision is not None else None


def plan(text: str | None, identity: Identity, rules: Any) -> Plan:
    """Decide what a text means for this sender. Pure: no database, no clock."""
    text = text or ""
    if not text.strip() or looks_like_command(text):
        return Plan(COMMAND)
    if not identity.bound:
        return Plan(PENDING)
    if identity.role != "member":
        return Plan(COMMAND)  # staff free text belongs to their routers (drafts, help)
    decision = classify(text, rules)
    talk = talk_kind(text)
    small = decision.branch == "triage" and (talk != PROMPT or len(normalize(text)) <= SMALL_TALK_MAX)
    if small:
        return Plan(TALK, decision, rating=maybe_rating(text), talk=talk)
    return Plan(REQUEST, decision, rating=maybe_rating(text))


def talk_kind(text: str) -> str:
    """Thanks/OK/received or emoji only (thanks), a greeting (greeting), anything else (prompt).

    Only texts made wholly of such words count, so "谢谢，B超坏了" stays a request; the routing
    classifier agrees: its `courtesy` words send such a text to triage, never to a branch.
    """
    if UNSHOWN in text:
        return THANKS
    words = NOT_WORD.sub("", EMOJI_CODE.sub("", text)).lower()
    if not words or COURTESY.match(words) and not GREETINGS.match(words):
        return THANKS
    if GREETINGS.match(words) or COURTESY.match(words):
        return GREETING
    return PROMPT


def pending_text(texts: list[str]) -> str:
    """What a user wrote while unbound, oldest first, as the text of one request."""
    return "\n".join(t.strip() for t in texts if t and t.strip())
