"""The one middleware around every HTTP request: it times the request by its route template
(Prometheus; not the raw path, ids would explode) and gives the request its read record
(``backend.http.read_source``), told in the response's headers. One send wrapper for both:
each layer of ASGI middleware costs every request, ``/health`` included."""

from __future__ import annotations

import time
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.http.read_source import AFTER_HEADER, SOURCE_HEADER, ReadRecord, begin, end

__all__ = ["request_envelope"]


def request_envelope(app: ASGIApp) -> ASGIApp:
    """Time each HTTP request and put its read record into its response headers."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        record, token = begin()

        def observe() -> None:
            services: Any = getattr(scope["app"].state, "services", None)
            if services is not None:
                route = scope.get("path_template") or "unmatched"
                method = str(scope.get("method", "?"))
                services.metrics.http.labels(method, route, str(status)).observe(
                    time.perf_counter() - started
                )

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


def _tell(record: ReadRecord, message: Message) -> None:
    headers = MutableScopeHeaders.from_message(message)
    if record.sources:
        headers[SOURCE_HEADER] = ", ".join(record.sources)
    if record.after:
        headers[AFTER_HEADER] = record.after
