"""A fake WeChat official-account API server on 127.0.0.1 (standard library only).

Enough of ``https://api.weixin.qq.com/cgi-bin/`` for wechatpy's ``WeChatClient``:
``GET token``, ``POST stable_token``, ``POST message/custom/send``,
``POST message/template/send``, ``POST menu/create``, ``GET menu/get``,
``POST menu/addconditional`` / ``menu/delconditional``, ``GET tags/get``,
``POST tags/create``, ``POST tags/members/batchtagging`` / ``batchuntagging``
(state in ``.tags``, ``.tag_members``, ``.conditional``) and
``GET template/get_all_private_template`` (answers ``.templates``, settable).
Every call is recorded; faults can be injected per path or per openid.

In tests::

    with FakeWeChatAPI() as api:           # port 0: a free port
        client.API_BASE_URL = api.base_url  # plus a stable_token fetch_access_token
        api.fail_next("message/custom/send", 45015)
        ...
        assert api.sent_messages()[0]["json"]["touser"] == "o-1"

Standalone: ``python tests/support/fake_wechat_api.py --port 9100``.

Error codes worth injecting (``fail_next`` / ``set_rule``): 40001 invalid or
superseded token, 42001 token expired, 45015 outside the 48-hour customer
service window, 45047 customer-service quota used up, 45009 API rate/daily
limit (wechatpy raises ``APILimitedException``), -1 system busy, 43004 user
does not follow the account, 40003 invalid openid, 43101 user refused the
subscription message. wechatpy retries 40001/40014/42001 itself after
refetching the token, without a bound: never inject those with ``times=None``
against a client that has ``auto_retry=True``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import secrets
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ERRMSGS: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40125: "invalid appsecret",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    40032: "invalid openid list size",
    45157: "invalid tag name",
    46003: "menu no exist",
    47001: "data format error",
    65320: "invalid matchrule",
}
TOKEN_PATHS = frozenset({"token", "stable_token"})
SEND_PATHS = frozenset({"message/custom/send", "message/template/send"})
PREFIX = "/cgi-bin/"


def _norm(path: str) -> str:
    """'/cgi-bin/menu/get' and 'menu/get' both become 'menu/get'."""
    path = path.strip("/")
    return path[len("cgi-bin/"):] if path.startswith("cgi-bin/") else path


def wechat_error(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
    """A WeChat-style error body, with a request id like the real platform."""
    text = errmsg or ERRMSGS.get(errcode, "fake error")
    return {"errcode": errcode, "errmsg": f"{text} rid: {secrets.token_hex(6)}"}


class _Fault:
    def __init__(self, kind: str, times: int | None, **data: Any) -> None:
        self.kind, self.times, self.data = kind, times, data


class _Token:
    def __init__(self, value: str, expires_at: float) -> None:
        self.value, self.expires_at = value, expires_at
        self.invalid_after: float | None = None  # set when superseded or revoked


class FakeWeChatAPI:
    """The fake server. Thread-safe; state lives on the instance, nothing global.

    ``token_overlap`` is how long (seconds) a superseded token keeps working
    after a new one is issued: 0 (default) invalidates at once, the real
    platform allows about 300, ``math.inf`` never invalidates. ``appid`` and
    ``secret``, when given, are checked by the token endpoints (40013/40125).
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        appid: str | None = None,
        secret: str | None = None,
        token_ttl: int = 7200,
        token_overlap: float = 0.0,
        clock: Callable[[], float] = time.time,
        verbose: bool = False,
    ) -> None:
        self.host, self.port = host, port
        self.appid, self.secret = appid, secret
        self.token_ttl, self.token_overlap = token_ttl, token_overlap
        self.clock, self.verbose = clock, verbose
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self.reset()

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> FakeWeChatAPI:
        """Bind (port 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), _make_handler(self))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fake-wechat-api:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket. Safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeWeChatAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/cgi-bin/``: the client's ``API_BASE_URL``."""
        return f"http://{self.host}:{self.port}{PREFIX}"

    # -- state, recording ------------------------------------------------------

    def reset(self) -> None:
        """Forget calls, tokens, faults, rules and the menu."""
        with self._lock:
            self._calls: list[dict[str, Any]] = []
            self._tokens: dict[str, _Token] = {}
            self._current = {"token": None, "stable": None}
            self._faults: dict[str, list[_Fault]] = {}
            self._rules: dict[str, tuple[int, str | None]] = {}
            self.menu: dict[str, Any] | None = None
            self.media: dict[str, tuple[bytes, str]] = {}
            self.conditional: list[dict[str, Any]] = []  # each with matchrule and menuid
            self.tags: dict[int, str] = {}
            self.tag_members: dict[int, set[str]] = {}
            self.templates: list[dict[str, Any]] = []  # template_id, title, content ({{thing1.DATA}} ...)
            self._tag_ids = itertools.count(100)
            self._menu_ids = itertools.count(400000001)
            self._msgids = itertools.count(1000001)

    @property
    def calls(self) -> list[dict[str, Any]]:
        """A snapshot of every call: method, path, query, json, time, status, response, dropped."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        """Recorded calls to one path ('menu/get' or '/cgi-bin/menu/get')."""
        path = _norm(path)
        return [c for c in self.calls if c["path"] == path]

    def sent_messages(self) -> list[dict[str, Any]]:
        """Successful custom and template sends (call records; body in ``["json"]``)."""
        return [
            c for c in self.calls
            if c["path"] in SEND_PATHS and (c["response"] or {}).get("errcode") == 0
        ]

    # -- tokens ----------------------------------------------------------------

    def issue_token(self, kind: str = "token") -> str:
        """Mint a token as the token ('token') or stable_token ('stable') endpoint would."""
        with self._lock:
            return self._issue(kind).value

    def _issue(self, kind: str) -> _Token:
        now = self.clock()
        old = self._tokens.get(self._current[kind] or "")
        if old is not None and old.invalid_after is None:
            old.invalid_after = now + self.token_overlap
        token = _Token(f"FAKE-{kind.upper()}-{next(self._ids)}-{secrets.token_hex(8)}",
                       now + self.token_ttl)
        self._tokens[token.value] = token
        self._current[kind] = token.value
        return token

    def expire_tokens(self) -> None:
        """Make every issued token expired: further use answers 42001."""
        with self._lock:
            now = self.clock()
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now)

    def invalidate_tokens(self) -> None:
        """Revoke every issued token: further use answers 40001."""
        with self._lock:
            now = self.clock()
            for token in self._tokens.values():
                token.invalid_after = now

    def _token_error(self, value: str | None) -> int | None:
        token = self._tokens.get(value or "")
        now = self.clock()
        if token is None or (token.invalid_after is not None and now >= token.invalid_after):
            return 40001
        if now >= token.expires_at:
            return 42001
        return None

    # -- fault injection -------------------------------------------------------

    def _add_fault(self, path: str, fault: _Fault) -> None:
        if fault.times is not None and fault.times < 1:
            raise ValueError(f"times must be >= 1 or None, got {fault.times}")
        with self._lock:
            self._faults.setdefault(_norm(path), []).append(fault)

    def fail_next(self, path: str, errcode: int, errmsg: str | None = None,
                  times: int | None = 1) -> None:
        """Answer the next ``times`` calls to ``path`` with a WeChat error (None: always)."""
        self._add_fault(path, _Fault("error", times, errcode=errcode, errmsg=errmsg))

    def fail_next_http(self, path: str, status: int = 500, times: int | None = 1) -> None:
        """Answer the next ``times`` calls to ``path`` with an HTTP error status."""
        self._add_fault(path, _Fault("http", times, status=status))

    def delay_next(self, path: str, seconds: float, times: int | None = 1) -> None:
        """Sleep ``seconds`` before handling the next ``times`` calls to ``path``."""
        self._add_fault(path, _Fault("delay", times, seconds=seconds))

    def drop_next(self, path: str, times: int | None = 1) -> None:
        """Close the connection without any response for the next ``times`` calls."""
        self._add_fault(path, _Fault("drop", times))

    def set_rule(self, openid: str, errcode: int, errmsg: str | None = None) -> None:
        """Make every custom/template send to ``openid`` fail with ``errcode``."""
        with self._lock:
            self._rules[openid] = (errcode, errmsg)

    def clear_rule(self, openid: str) -> None:
        with self._lock:
            self._rules.pop(openid, None)

    def _take_fault(self, path: str, kind: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults.get(path, []):
                if fault.kind == kind:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults[path].remove(fault)
                    return fault
        return None

    # -- request handling ------------------------------------------------------

    def _record(self, method: str, path: str, query: dict[str, str], body: Any,
                received: float, status: int | None, response: dict[str, Any] | None) -> None:
        with self._lock:
            self._calls.append({
                "method": method, "path": path, "query": query, "json": body,
                "time": received, "status": status, "response": response,
                "dropped": status is None,
            })

    def handle(self, method: str, path: str, query: dict[str, str],
               body: Any) -> tuple[int, dict[str, Any]] | None:
        """Answer one call as (HTTP status, JSON body), or None to drop it."""
        if self._take_fault(path, "drop"):
            return None
        delay = self._take_fault(path, "delay")
        if delay:
            time.sleep(delay.data["seconds"])
        http_fault = self._take_fault(path, "http")
        if http_fault:
            return http_fault.data["status"], {"error": "injected HTTP error"}
        route = _ROUTES.get(path)
        if route is None:
            return 404, {"errcode": 404, "errmsg": f"fake server has no {path}"}
        if route[0] != method:
            return 405, {"errcode": 405, "errmsg": f"{path} expects {route[0]}"}
        with self._lock:
            if path not in TOKEN_PATHS:
                code = self._token_error(query.get("access_token"))
                if code:
                    return 200, wechat_error(code)
        fault = self._take_fault(path, "error")
        if fault:
            return 200, wechat_error(fault.data["errcode"], fault.data["errmsg"])
        with self._lock:
            return 200, route[1](self, query, body)

    def _credentials_error(self, appid: Any, secret: Any) -> dict[str, Any] | None:
        if self.appid is not None and appid != self.appid:
            return wechat_error(40013)
        if self.secret is not None and secret != self.secret:
            return wechat_error(40125)
        return None

    def _get_token(self, query: dict[str, str], _body: Any) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            return wechat_error(40002)
        error = self._credentials_error(query.get("appid"), query.get("secret"))
        if error:
            return error
        return {"access_token": self._issue("token").value, "expires_in": self.token_ttl}

    def _stable_token(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        if body.get("grant_type") != "client_credential":
            return wechat_error(40002)
        error = self._credentials_error(body.get("appid"), body.get("secret"))
        if error:
            return error
        current = self._current["stable"]
        if body.get("force_refresh") or current is None or self._token_error(current):
            current = self._issue("stable").value
        remaining = max(1, math.ceil(self._tokens[current].expires_at - self.clock()))
        return {"access_token": current, "expires_in": remaining}

    def _send(self, body: Any, required: Sequence[str]) -> dict[str, Any] | None:
        if not isinstance(body, dict) or any(not body.get(k) for k in required):
            return wechat_error(47001)
        rule = self._rules.get(body["touser"])
        return wechat_error(*rule) if rule else None

    def _custom_send(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        return self._send(body, ("touser", "msgtype")) or {"errcode": 0, "errmsg": "ok"}

    def _template_send(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        error = self._send(body, ("touser", "template_id"))
        return error or {"errcode": 0, "errmsg": "ok", "msgid": next(self._msgids)}

    def _menu_create(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("button"), list):
            return wechat_error(47001)
        self.menu = body
        return {"errcode": 0, "errmsg": "ok"}

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """A temporary media file `media/get` returns; unknown (expired) ids answer 40007."""
        with self._lock:
            self.media[media_id] = (data, content_type)

    def _media_get(self, query: dict[str, str], _body: Any) -> Any:
        found = self.media.get(query.get("media_id", ""))
        return Binary(*found) if found else wechat_error(40007, "invalid media_id")

    def _menu_get(self, _query: dict[str, str], _body: Any) -> dict[str, Any]:
        if self.menu is None:
            return wechat_error(46003)
        return {"menu": self.menu, **({"conditionalmenu": self.conditional} if self.conditional else {})}

    def _add_conditional(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("button"), list):
            return wechat_error(47001)
        rule = body.get("matchrule")
        if self.menu is None:
            return wechat_error(46003)  # a default menu must exist first
        if not isinstance(rule, dict) or set(rule) != {"tag_id"} or int(rule["tag_id"]) not in self.tags:
            return wechat_error(65320)  # only tag_id rules, and only existing tags
        menuid = str(next(self._menu_ids))
        self.conditional.append({**body, "menuid": menuid})
        return {"menuid": menuid}

    def _del_conditional(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        menuid = str((body or {}).get("menuid"))
        before = len(self.conditional)
        self.conditional = [m for m in self.conditional if m["menuid"] != menuid]
        return {"errcode": 0, "errmsg": "ok"} if len(self.conditional) < before else wechat_error(46003)

    def _tags_get(self, _query: dict[str, str], _body: Any) -> dict[str, Any]:
        return {"tags": [{"id": i, "name": n, "count": len(self.tag_members.get(i, ()))}
                         for i, n in sorted(self.tags.items())]}

    def _tags_create(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        name = ((body or {}).get("tag") or {}).get("name")
        if not isinstance(name, str) or not name or len(name.encode("utf-8")) > 30 or name in self.tags.values():
            return wechat_error(45157)
        tag_id = next(self._tag_ids)
        self.tags[tag_id] = name
        return {"tag": {"id": tag_id, "name": name}}

    def _batch(self, body: Any, tagging: bool) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        openids, tag_id = body.get("openid_list"), body.get("tagid")
        if not isinstance(openids, list) or not openids or len(openids) > 50:
            return wechat_error(40032)
        if tag_id not in self.tags:
            return wechat_error(45159, "invalid tag id")
        bad = next((o for o in openids if o in self._rules), None)
        if bad is not None:
            return wechat_error(*self._rules[bad])
        members = self.tag_members.setdefault(tag_id, set())
        (members.update if tagging else members.difference_update)(openids)
        return {"errcode": 0, "errmsg": "ok"}

    def _batchtagging(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        return self._batch(body, True)

    def _batchuntagging(self, _query: dict[str, str], body: Any) -> dict[str, Any]:
        return self._batch(body, False)

    def _templates(self, _query: dict[str, str], _body: Any) -> dict[str, Any]:
        return {"template_list": list(self.templates)}

    def tags_of(self, openid: str) -> set[str]:
        """Names of the tags `openid` carries."""
        with self._lock:
            return {self.tags[i] for i, members in self.tag_members.items() if openid in members}


_ROUTES: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "token": ("GET", FakeWeChatAPI._get_token),
    "stable_token": ("POST", FakeWeChatAPI._stable_token),
    "message/custom/send": ("POST", FakeWeChatAPI._custom_send),
    "message/template/send": ("POST", FakeWeChatAPI._template_send),
    "menu/create": ("POST", FakeWeChatAPI._menu_create),
    "menu/get": ("GET", FakeWeChatAPI._menu_get),
    "media/get": ("GET", FakeWeChatAPI._media_get),
    "menu/addconditional": ("POST", FakeWeChatAPI._add_conditional),
    "menu/delconditional": ("POST", FakeWeChatAPI._del_conditional),
    "tags/get": ("GET", FakeWeChatAPI._tags_get),
    "tags/create": ("POST", FakeWeChatAPI._tags_create),
    "tags/members/batchtagging": ("POST", FakeWeChatAPI._batchtagging),
    "tags/members/batchuntagging": ("POST", FakeWeChatAPI._batchuntagging),
    "template/get_all_private_template": ("GET", FakeWeChatAPI._templates),
}


class Binary:
    """A file answer (media/get): the body is the bytes, with their Content-Type."""

    def __init__(self, data: bytes, content_type: str) -> None:
        self.data, self.content_type = data, content_type


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed handler must not block stop()
    request_queue_size = 128  # the default 5 drops SYNs under concurrent tests


def _make_handler(api: FakeWeChatAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: drops stay simple

        def _dispatch(self) -> None:
            received = api.clock()
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            path = _norm(url.path) if url.path.startswith(PREFIX) else url.path
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, ValueError):
                body = {"_raw": raw.decode("utf-8", "replace")}
            answer = api.handle(self.command, path, query, body)
            if answer is None:
                api._record(self.command, path, query, body, received, None, None)
                self.close_connection = True
                return
            status, payload = answer
            ctype = "application/json; charset=utf-8"
            if isinstance(payload, Binary):
                data, ctype, payload = payload.data, payload.content_type, {"binary": len(payload.data)}
            else:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            # record before answering so a client never sees a reply not yet in .calls
            api._record(self.command, path, query, body, received, status, payload)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            if api.verbose:
                super().log_message(format, *args)

    return Handler


def serve(port: int = 9100, host: str = "127.0.0.1", *,
          stop: threading.Event | None = None, **options: Any) -> None:
    """Run a fake server until ``stop`` is set or Ctrl-C; prints its base URL."""
    api = FakeWeChatAPI(port, host, **options).start()
    print(f"Fake WeChat API listening on {api.base_url}", flush=True)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """CLI entry: ``fake_wechat_api.py [--host H] [--port P] [--appid A --secret S]``."""
    parser = argparse.ArgumentParser(description="Fake WeChat official-account API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="0 picks a free port")
    parser.add_argument("--appid", help="if set, token endpoints check it")
    parser.add_argument("--secret", help="if set, token endpoints check it")
    parser.add_argument("--token-ttl", type=int, default=7200)
    parser.add_argument("--token-overlap", type=float, default=0.0,
                        help="seconds a superseded token stays valid (real platform: 300)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    serve(args.port, args.host, stop=stop, appid=args.appid, secret=args.secret,
          token_ttl=args.token_ttl, token_overlap=args.token_overlap, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
