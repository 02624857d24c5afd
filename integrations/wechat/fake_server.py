"""A local stand-in for api.weixin.qq.com that speaks WeChat's JSON wire format and error codes.

Used by tests and the sandbox: point ``WechatpyLogin(api_base_url=fake.base_url)`` at it.
Routes live in a table keyed by ``(method, path)``; later features add theirs with
:meth:`FakeWeChat.add_route`.

Subscribe messages (``POST /cgi-bin/message/subscribe/send``) need a token from
``/cgi-bin/token`` (40001 otherwise; :meth:`FakeWeChat.expire_access_tokens` invalidates them
all), answer 43101 for users set with :meth:`FakeWeChat.refuse_messages`, 47003 for a value that
breaks its field type's rule, and are recorded (:meth:`FakeWeChat.messages`) when accepted.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from integrations.loopback import LoopbackServer
from integrations.wechat.subscribe_fields import kind_of, violation

__all__ = ["FakeRequest", "FakeResponse", "FakeWeChat", "ReceivedMessage", "RouteHandler"]

_SANDBOX_CODE = re.compile(r"sandbox-[A-Za-z0-9_-]{1,64}")
_ACCESS_TOKEN_TTL = 7200


@dataclass(frozen=True)
class FakeRequest:
    """One request as the fake received it (query values: the first one of each name)."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class FakeResponse:
    """What a route answers; WeChat reports errors as HTTP 200 with a non-zero ``errcode``."""

    body: Mapping[str, object]
    status: int = 200


@dataclass(frozen=True)
class ReceivedMessage:
    """A subscribe message the fake accepted (``data`` as sent: ``{"thing1": {"value": ..}}``)."""

    openid: str
    template_id: str
    data: Mapping[str, object]
    page: str | None
    miniprogram_state: str | None
    at: datetime


RouteHandler = Callable[[FakeRequest], FakeResponse]


def _error(errcode: int, errmsg: str, status: int = 200) -> FakeResponse:
    return FakeResponse({"errcode": errcode, "errmsg": errmsg}, status)


class FakeWeChat(LoopbackServer):
    """Fake WeChat server on a local port, run in a daemon thread.

    Knows one app (``appid``/``secret``). Accepts any login code ``sandbox-<name>`` (reusable)
    and answers openid ``sandbox-<name>``; every other code is ``40029 invalid code``.
    """

    _thread_name = "fake-wechat"

    def __init__(
        self,
        appid: str = "wx-sandbox-app",
        secret: str = "sandbox-secret",  # noqa: S107 - a sandbox value, not a credential
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_token_ttl: int = _ACCESS_TOKEN_TTL,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self._init_loopback(host, port)
        self._lock = threading.Lock()
        self._received: list[FakeRequest] = []
        self._down = False
        self._access_token_ttl = access_token_ttl
        self._access_tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._messages: list[ReceivedMessage] = []
        self._refusing: set[str] = set()
        self._latency = 0.0
        self._unionids: dict[str, str] = {}
        self._routes: dict[tuple[str, str], RouteHandler] = {
            ("GET", "/cgi-bin/token"): self._token,
            ("GET", "/sns/jscode2session"): self._jscode2session,
            ("POST", "/cgi-bin/message/subscribe/send"): self._subscribe_send,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_class(self)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/``, to use as the ``api_base_url`` of a WeChat client."""
        return self._origin() + "/"

    # -- control and inspection ------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve ``method path`` with ``handler`` (replacing any route already there)."""
        with self._lock:
            self._routes[(method.upper(), path)] = handler

    def set_down(self, down: bool) -> None:
        """While down, every endpoint answers HTTP 503, as when WeChat is broken."""
        with self._lock:
            self._down = down

    def set_latency(self, seconds: float) -> None:
        """Answer every request this much later, as a slow WeChat does."""
        with self._lock:
            self._latency = seconds

    def set_unionid(self, openid: str, unionid: str) -> None:
        """Make code2Session also answer ``unionid`` for this user."""
        with self._lock:
            self._unionids[openid] = unionid

    def is_valid_access_token(self, token: str) -> bool:
        """Whether ``token`` was issued by ``/cgi-bin/token`` and has not expired."""
        with self._lock:
            expiry = self._access_tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (40001), as after a reset."""
        with self._lock:
            self._access_tokens.clear()

    def refuse_messages(self, openid: str, refuse: bool = True) -> None:
        """Answer 43101 (user refused / no quota) to subscribe messages for ``openid``."""
        with self._lock:
            if refuse:
                self._refusing.add(openid)
            else:
                self._refusing.discard(openid)

    def messages(self, openid: str | None = None) -> list[ReceivedMessage]:
        """Subscribe messages accepted so far (for one user, if given), oldest first."""
        with self._lock:
            return [m for m in self._messages if openid is None or m.openid == openid]

    @property
    def requests(self) -> list[FakeRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        """Record ``request`` and answer it from the route table."""
        with self._lock:
            self._received.append(request)
            down = self._down
            handler = self._routes.get((request.method, request.path))
            latency = self._latency
        if latency:
            time.sleep(latency)  # this request's own server thread
        if down:
            return _error(-1, "system error", status=503)
        if handler is None:
            return _error(-1, f"no fake route for {request.method} {request.path}", status=404)
        return handler(request)

    # -- WeChat endpoints ------------------------------------------------------------------

    def _app_credentials_error(self, query: Mapping[str, str]) -> FakeResponse | None:
        if not query.get("appid"):
            return _error(41002, "appid missing")
        if not query.get("secret"):
            return _error(41004, "appsecret missing")
        if query["appid"] != self.appid:
            return _error(40013, "invalid appid")
        if query["secret"] != self.secret:
            return _error(40125, "invalid appsecret")
        return None

    def _token(self, request: FakeRequest) -> FakeResponse:
        query = request.query
        if query.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        if refused := self._app_credentials_error(query):
            return refused
        token = secrets.token_urlsafe(48)
        ttl = self._access_token_ttl
        with self._lock:
            self._access_tokens[token] = time.monotonic() + ttl
        return FakeResponse({"access_token": token, "expires_in": ttl})

    def _jscode2session(self, request: FakeRequest) -> FakeResponse:
        query = request.query
        if refused := self._app_credentials_error(query):
            return refused
        code = query.get("js_code")
        if not code:
            return _error(41008, "missing code")
        if query.get("grant_type") != "authorization_code":
            return _error(40002, "invalid grant_type")
        if not _SANDBOX_CODE.fullmatch(code):
            return _error(40029, "invalid code")
        openid = code
        session_key = base64.b64encode(secrets.token_bytes(16)).decode()
        body: dict[str, object] = {"openid": openid, "session_key": session_key}
        with self._lock:
            if openid in self._unionids:
                body["unionid"] = self._unionids[openid]
        return FakeResponse(body)

    def _subscribe_send(self, request: FakeRequest) -> FakeResponse:
        if not self.is_valid_access_token(request.query.get("access_token", "")):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        message = _parse_message(request.body)
        if isinstance(message, FakeResponse):
            return message
        with self._lock:
            if message.openid in self._refusing:
                return _error(43101, "user refuse to accept the msg")
            self._messages.append(message)
            msgid = len(self._messages)
        return FakeResponse({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def _parse_message(raw: bytes) -> ReceivedMessage | FakeResponse:
    """The message in a subscribe/send body, or the error WeChat answers to it."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _error(47001, "data format error")
    openid, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
    if not isinstance(openid, str) or not openid:
        return _error(40003, "invalid openid")
    if not isinstance(template_id, str) or not template_id:
        return _error(40037, "invalid template_id")
    if not isinstance(data, dict) or not data:
        return _error(47003, "argument invalid! data is empty")
    if refused := _data_error(data):
        return refused
    page = body.get("page")
    return ReceivedMessage(
        openid=openid,
        template_id=template_id,
        data=data,
        page=page if isinstance(page, str) else None,
        miniprogram_state=body.get("miniprogram_state"),
        at=datetime.now(UTC),
    )


def _data_error(data: Mapping[str, object]) -> FakeResponse | None:
    """47003 for the first field whose value breaks its type's rule."""
    for key, field in data.items():
        value = field.get("value") if isinstance(field, dict) else None
        if not isinstance(value, str):
            return _error(47003, f"argument invalid! data.{key}.value is missing")
        try:
            problem = violation(kind_of(key), value)
        except ValueError:
            problem = "unknown field type"
        if problem is not None:
            return _error(47003, f"argument invalid! data.{key}.value {problem}")
    return None


def _handler_class(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = dict(parse_qsl(url.query, keep_blank_values=True)[::-1])  # first value wins
            response = fake.dispatch(FakeRequest(self.command, url.path, query, body))
            payload = json.dumps(response.body, ensure_ascii=False).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; encoding=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log lines on stderr."""

    return _Handler
