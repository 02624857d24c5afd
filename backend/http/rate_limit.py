"""The rate-limit guard: ``guards=[rate_limit("create")]`` on a route, after ``requires(...)``.

- ``"login"``: per client IP (``login_per_ip``) and, when the JSON body names a ``username``,
  per username (``login_per_username``). The IP is the ASGI client address: behind a proxy, let
  the server take it from X-Forwarded-For (uvicorn ``--proxy-headers --forwarded-allow-ips``).
- ``"create"``: per caller (``create_per_citizen``), for POSTs that create something.

Over the limit the request gets 429 ``rate_limited`` with ``Retry-After`` before its body is
used; the counters live in PostgreSQL, so every API process shares them.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import msgspec
from litestar.connection import ASGIConnection, Request
from litestar.handlers.base import BaseRouteHandler

from backend.http.guards import Guard
from backend.services import Services

__all__ = ["client_address", "count_login", "rate_limit"]


def _username(body: bytes) -> str | None:
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None  # the handler answers 400
    name = data.get("username") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def rate_limit(scope: Literal["login", "create"]) -> Guard:
    """A guard that counts the request against ``scope``'s limits (see the module doc)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        services: Services = connection.app.state.services
        limiter, limits = services.rate_limiter, services.settings.rate_limits
        if limiter is None:
            return
        if scope == "create":
            principal = connection.state.get("principal")
            caller = principal.id if principal is not None else client_address(connection)
            await limiter.hit(f"create:{caller}", limits.create_per_citizen)
            return
        username = None
        if isinstance(connection, Request) and limits.login_per_username.limit > 0:
            username = _username(await connection.body())
        await count_login(services, client_address(connection), username)

    return guard


async def count_login(services: Services, client: str, username: str | None) -> None:
    """Count a login attempt per client address and per username tried (the API's staff and
    WeChat logins and the console's sign-in share these counters); 429 past the limits."""
    limiter, limits = services.rate_limiter, services.settings.rate_limits
    if limiter is None:
        return
    await limiter.hit(f"login-ip:{client}", limits.login_per_ip)
    if username and limits.login_per_username.limit > 0:
        # hashed: any text may be tried as a username (NUL included), none is stored
        digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
        await limiter.hit(f"login-user:{digest[:32]}", limits.login_per_username)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.client
    return client.host if client is not None else "unknown"
