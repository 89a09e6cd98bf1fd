"""The one adapter around wechatpy's WeChatClient for outbound calls.

- The API base comes from settings (WECHAT_API_BASE), tokens from POST `stable_token`
  through a shared TokenStore (core/token_store.py).
- wechatpy's own auto_retry (unbounded on 40001/42001) is off; instead a rejected
  token is refreshed once and the call retried once, never more.
- Every failure comes out as `WeChatApiError` (errcode, or HTTP status, or network).
"""
from __future__ import annotations

from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from core.config import ConfigError, Settings
from core.token_store import TokenStore

TOKEN_ERRORS = frozenset({40001, 40014, 42001})


class WeChatApiError(Exception):
    """A failed call: `errcode` from WeChat, or `http_status`, or neither (network/timeout)."""

    def __init__(self, errcode: int | None, message: str, http_status: int | None = None):
        self.errcode = errcode
        self.message = message
        self.http_status = http_status
        super().__init__(f"{errcode if errcode is not None else http_status or 'network'}: {message}")


class _Client(WeChatClient):
    """wechatpy's client aimed at `api_base`, with tokens from the shared store."""

    def __init__(self, appid: str, secret: str, api_base: str, store: TokenStore, timeout: float):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base
        self.store = store
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)

    @property
    def access_token(self) -> str:
        return self.store.get(self._stable_token)

    def fetch_access_token(self) -> dict:
        token = self.store.refresh(self._stable_token, None)
        return {"access_token": token}

    def _stable_token(self, force_refresh: bool) -> tuple[str, int]:
        res = self._http.post(f"{self.API_BASE_URL}stable_token", timeout=self.timeout,
                              json={"grant_type": "client_credential", "appid": self.appid,
                                    "secret": self.secret, "force_refresh": force_refresh})
        try:
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(None, None, client=self, request=exc.request,
                                        response=exc.response) from exc
        result = self._handle_result(res)
        return result["access_token"], int(result.get("expires_in", 7200))

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        params = dict(kwargs.pop("params", None) or {})
        token = self.access_token
        try:
            return super()._request(method, url_or_endpoint, params={**params, "access_token": token},
                                    **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        token = self.store.refresh(self._stable_token, token)  # once; a second refusal is raised
        return super()._request(method, url_or_endpoint, params={**params, "access_token": token}, **kwargs)


class WeChatApi:
    """What Tongxin calls: send a text or a template message; menus, user tags, the template list."""

    def __init__(self, client: _Client):
        self.client = client

    def _call(self, fn, *args: Any, **kwargs: Any) -> dict:
        try:
            result = fn(*args, **kwargs)
        except WeChatClientException as exc:
            status = exc.response.status_code if exc.response is not None and exc.errcode is None else None
            raise WeChatApiError(exc.errcode, str(exc.errmsg or f"HTTP {status}"), status) from None
        except requests.RequestException as exc:
            raise WeChatApiError(None, f"{exc.__class__.__name__}: {exc}"[:300]) from None
        return result if isinstance(result, dict) else {}

    def send_text(self, openid: str, content: str) -> dict:
        """Customer-service text message (only within 48 hours of the user's last message)."""
        return self._call(self.client.message.send_text, openid, content)

    def send_template(self, openid: str, template_id: str, data: dict, url: str | None = None) -> dict:
        """Template message; the answer carries `msgid`."""
        return self._call(self.client.message.send_template, openid, template_id, data, url=url)

    def download_media(self, media_id: str) -> tuple[bytes, str]:
        """Temporary media (`media/get`): the file and its Content-Type; an expired id is errcode 40007."""
        try:
            res = self.client.media.download(media_id)
        except WeChatClientException as exc:
            status = exc.response.status_code if exc.response is not None and exc.errcode is None else None
            raise WeChatApiError(exc.errcode, str(exc.errmsg or f"HTTP {status}"), status) from None
        except requests.RequestException as exc:
            raise WeChatApiError(None, f"{exc.__class__.__name__}: {exc}"[:300]) from None
        if isinstance(res, dict):  # JSON without errcode: no file
            raise WeChatApiError(res.get("errcode"), str(res.get("errmsg") or "no file in the answer"))
        return res.content, res.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()

    def create_menu(self, menu: dict) -> dict:
        return self._call(self.client.menu.create, menu)

    def get_menu(self) -> dict | None:
        return self._call(self.client.menu.get) or None

    def add_conditional_menu(self, menu: dict) -> dict:
        """`menu` carries `matchrule`; the answer carries `menuid`."""
        return self._call(self.client.menu.add_conditional, menu)

    def del_conditional_menu(self, menu_id: str) -> dict:
        return self._call(self.client.menu.del_conditional, menu_id)

    def get_tags(self) -> list[dict]:
        """The account's user tags: [{"id", "name", "count"}]."""
        return self._call(self.client.get, "tags/get").get("tags", [])

    def create_tag(self, name: str) -> dict:
        """{"id", "name"} of the new tag."""
        return self._call(self.client.post, "tags/create", data={"tag": {"name": name}}).get("tag", {})

    def tag_users(self, tag_id: int, openids: list[str]) -> dict:
        """At most 50 openids a call (WeChat answers 40032 beyond)."""
        return self._call(self.client.tag.tag_user, tag_id, list(openids))

    def untag_users(self, tag_id: int, openids: list[str]) -> dict:
        return self._call(self.client.tag.untag_user, tag_id, list(openids))

    def private_templates(self) -> list[dict]:
        """The account's template messages (`template/get_all_private_template`: template_id, title, content).

        wechatpy's own call prefixes a second `cgi-bin/`, so the path is given here.
        """
        return self._call(self.client.get, "template/get_all_private_template").get("template_list", [])

    @property
    def access_token(self) -> str:
        try:
            return self.client.access_token
        except WeChatClientException as exc:
            raise WeChatApiError(exc.errcode, str(exc.errmsg)) from None


def make_wechat_client(settings: Settings, token_store: TokenStore, *, timeout: float = 10.0) -> WeChatApi:
    """The outbound client of a process; ConfigError naming what is missing to call WeChat's API."""
    wc = settings.wechat
    for name, missing in (("WECHAT_APP_ID", wc.sandbox or wc.app_id == "sandbox"), ("WECHAT_APP_SECRET", not wc.app_secret)):
        if missing:
            raise ConfigError(name, "required to send messages through WeChat's API")
    return WeChatApi(_Client(settings.wechat.app_id, settings.wechat.app_secret or "",
                             settings.wechat.api_base, token_store, timeout))
