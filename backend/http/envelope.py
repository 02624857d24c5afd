"""The one middleware around every HTTP request: it times the request by its route template
(Prometheus; not the raw path, ids would explode) and gives the request its read record
(``backend.http.read_source``), told in the response's headers. One send wrapper for both:
each layer of ASGI middleware costs every request, ``/health`` included."""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from backend.http.read_source import AFTER_HEADER, SOURCE_HEADER, ReadRecord, begin, end

__all__ = ["request_envelope"]

_MAX_CHILDREN = 2000
_SOURCE, _AFTER = SOURCE_HEADER.encode(), AFTER_HEADER.encode()


def request_envelope(app: ASGIApp) -> ASGIApp:
    """Time each HTTP request and put its read record into its response headers."""
    # the histogram's child per (method, route template, status): labels() looks it up under a
    # lock and checks the label values on every call; routes and statuses are a bounded set
    children: dict[tuple[str, str, int], Any] = {}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        record, token = begin()

        def observe() -> None:
            key = (scope.get("method", "?"), scope.get("path_template") or "unmatched", status)
            child = children.get(key)
            if child is None:
                services: Any = getattr(scope["app"].state, "services", None)
                if services is None:
                    return
                child = services.metrics.http.labels(*map(str, key))
                if len(children) < _MAX_CHILDREN:
                    children[key] = child
            child.observe(time.perf_counter() - started)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if record.sources or record.after:
                    _tell(record, message)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                observe()  # before the last byte leaves, so the next request sees it
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            end(token)

    return middleware


def _tell(record: ReadRecord, message: HTTPResponseStartEvent) -> None:
    # appended as raw pairs, like the security headers: only this middleware sets these two
    raw: list[tuple[bytes, bytes]] = list(message.get("headers") or ())
    if record.sources:
        raw.append((_SOURCE, ", ".join(record.sources).encode()))
    if record.after:
        raw.append((_AFTER, record.after.encode()))
    message["headers"] = raw
