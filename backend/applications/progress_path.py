"""The short way through for ``GET /api/v1/applications/{id}``, the request citizens send most.

A route middleware on that one route: it admits the caller with the route's own guard,
reads the progress with the route's own query and sends the encoded answer, without the
per-request work Litestar does for every handler (a copy of the handler per guard, the
dependency graph, the signature model, a ``Response`` object). It stays inside the app's
middleware, so routing, the error mapping, the request envelope (metrics, read-source headers)
and the security headers are the same as for every other route. A query it does not read as
plain ``after=N`` goes to the handler, which validates it (docs/performance.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from litestar import Request

from backend.applications import queries

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

    from backend.http.guards import Requires
    from backend.services import Services

__all__ = ["progress_path"]

_PLAIN_AFTER = re.compile(rb"(?:after=([1-9][0-9]{0,17}|0))?")
_encode = msgspec.json.Encoder().encode


def _after(query: bytes) -> tuple[bool, int | None]:
    """(read it here, the position): only an empty query or one ``after=N``."""
    plain = _PLAIN_AFTER.fullmatch(query)
    if plain is None:
        return False, None
    digits = plain.group(1)
    return True, int(digits) if digits else None


def progress_path(guard: Requires) -> Any:
    """The middleware for the progress route, admitting callers as ``guard`` does."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def short(scope: Scope, receive: Receive, send: Send) -> None:
            plain, after = _after(scope.get("query_string", b""))
            if not plain:
                await app(scope, receive, send)  # the handler validates the query
                return
            try:
                body = await _progress(scope, guard, after)
            except Exception as exc:  # noqa: BLE001 - to the route's mapping, like a handler's
                await _refuse(scope, receive, send, exc)
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})

        return short

    return middleware


async def _progress(scope: Scope, guard: Requires, after: int | None) -> bytes:
    """The answer's body, as the handler would compute it."""
    services: Services = scope["app"].state.services
    authorization = ""
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
            break
    principal = await guard.admit(services, authorization)
    parsed: Any = scope["path_params"]["application_id"]  # the route's ``:uuid`` parsed it
    application_id = parsed if isinstance(parsed, UUID) else UUID(parsed)
    return _encode(await queries.get_progress(services, principal, application_id, after))


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """The route's own answer to ``exc`` (the one error mapping, backend/http/errors.py), sent
    from here, inside the request envelope, as a handler's error is."""
    handlers = scope["route_handler"].resolve_exception_handlers()
    handler = next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)
    if handler is None:
        raise exc  # the app's last resort, as for a handler
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    response = handler(request, exc)
    await response.to_asgi_response(scope["litestar_app"], request)(scope, receive, send)
