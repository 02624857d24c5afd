"""A local stand-in for api.weixin.qq.com that speaks WeChat's JSON wire format and error codes.

Used by tests and the sandbox: point ``WechatpyLogin(api_base_url=fake.base_url)`` at it.
Routes live in a table keyed by ``(method, path)``; later features add theirs with
:meth:`FakeWeChat.add_route`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeRequest", "FakeResponse", "FakeWeChat", "RouteHandler"]

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


RouteHandler = Callable[[FakeRequest], FakeResponse]


def _error(errcode: int, errmsg: str, status: int = 200) -> FakeResponse:
    return FakeResponse({"errcode": errcode, "errmsg": errmsg}, status)


class FakeWeChat:
    """Fake WeChat server on a local port, run in a daemon thread.

    Knows one app (``appid``/``secret``). Accepts any login code ``sandbox-<name>`` (reusable)
    and answers openid ``sandbox-<name>``; every other code is ``40029 invalid code``.
    """

    def __init__(
        self,
        appid: str = "wx-sandbox-app",
        secret: str = "sandbox-secret",  # noqa: S107 - a sandbox value, not a credential
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self._address = (host, port)
        self._lock = threading.Lock()
        self._received: list[FakeRequest] = []
        self._down = False
        self._access_tokens: set[str] = set()
        self._unionids: dict[str, str] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[tuple[str, str], RouteHandler] = {
            ("GET", "/cgi-bin/token"): self._token,
            ("GET", "/sns/jscode2session"): self._jscode2session,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Bind the port and serve in a daemon thread."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(self._address, _handler_class(self))
        server.daemon_threads = True
        # A short poll interval keeps stop() fast (shutdown waits for the next poll).
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-wechat",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeWeChat:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/``, to use as the ``api_base_url`` of a WeChat client."""
        if self._server is None:
            msg = "FakeWeChat is not started"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    # -- control and inspection ------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve ``method path`` with ``handler`` (replacing any route already there)."""
        with self._lock:
            self._routes[(method.upper(), path)] = handler

    def set_down(self, down: bool) -> None:
        """While down, every endpoint answers HTTP 503, as when WeChat is broken."""
        with self._lock:
            self._down = down

    def set_unionid(self, openid: str, unionid: str) -> None:
        """Make code2Session also answer ``unionid`` for this user."""
        with self._lock:
            self._unionids[openid] = unionid

    def is_valid_access_token(self, token: str) -> bool:
        """Whether ``token`` was issued by ``/cgi-bin/token`` (for routes that require one)."""
        with self._lock:
            return token in self._access_tokens

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
        with self._lock:
            self._access_tokens.add(token)
        return FakeResponse({"access_token": token, "expires_in": _ACCESS_TOKEN_TTL})

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
