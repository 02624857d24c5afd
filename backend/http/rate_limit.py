"""The rate-limit guard: ``guards=[rate_limit("create")]`` on a route, after ``requires(...)``.

- ``"login"``: per client address (``login_per_ip``); and when the JSON body names a
  ``username``, the (username, client) pair must not be in back-off after wrong passwords
  (``backend.ratelimit.LoginThrottle``; the failures are counted by the login itself). The
  client is ``backend.http.client_address``: the peer, or what a trusted proxy forwards.
- ``"create"``: per caller (``create_per_citizen``), for POSTs that create something.
- ``"upload"``: per caller (``upload_per_citizen``), for ``POST /api/v1/files`` alone: a
  citizen uploading twenty pages must not use up the budget of the submission that follows.

Over the limit the request gets 429 ``rate_limited`` with ``Retry-After`` before its body is
used; the counters live in PostgreSQL, so every API process shares them.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar.connection import ASGIConnection, Request
from litestar.handlers.base import BaseRouteHandler

from backend.http.client_address import client_address
from backend.services import Services

__all__ = ["RateLimit", "count_login", "rate_limit"]


def _username(body: bytes) -> str | None:
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None  # not JSON we can read: the request is refused with a 400 after this
    name = data.get("username") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


class RateLimit:
    """The guard of ``scope``'s limits (see the module doc); the OpenAPI document reads
    ``scope`` to list the route's 429."""

    __slots__ = ("scope",)

    def __init__(self, scope: Literal["login", "create", "upload"]) -> None:
        self.scope = scope

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        services: Services = connection.app.state.services
        limiter, limits = services.rate_limiter, services.settings.rate_limits
        client = client_address(connection, services.settings.trusted_proxies)
        if self.scope in ("create", "upload"):
            if limiter is not None:
                principal = connection.state.get("principal")
                caller = principal.id if principal is not None else client
                rule = (
                    limits.create_per_citizen
                    if self.scope == "create"
                    else limits.upload_per_citizen
                )
                await limiter.hit(f"{self.scope}:{caller}", rule)
            return
        username = None
        if isinstance(connection, Request):
            username = _username(await connection.body())
        await count_login(services, client, username)


def rate_limit(scope: Literal["login", "create", "upload"]) -> RateLimit:
    """A guard that counts the request against ``scope``'s limits (see the module doc)."""
    return RateLimit(scope)


async def count_login(services: Services, client: str, username: str | None) -> None:
    """A login attempt (the API's and the console's sign-in alike): counted per client
    address, and refused while the (username, client) pair is in back-off; 429 either way."""
    limiter = services.rate_limiter
    if limiter is not None:
        await limiter.hit(f"login-ip:{client}", services.settings.rate_limits.login_per_ip)
    throttle = services.login_throttle
    if throttle is not None and username:
        await throttle.check(username, client)
