"""Headers every response carries, whatever produced it (a handler, an error, the router's own
404, a static file): set in a ``before_send`` hook, which sees every message the app sends."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

__all__ = ["security_headers"]

# API answers carry tokens and personal data: never kept by a browser or a proxy
_PRIVATE_PREFIXES = ("/api/", "/console/")


async def security_headers(message: Message, scope: Scope) -> None:
    """``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` on every
    response; ``Cache-Control: no-store`` on the API's and the console's unless they set one."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["x-content-type-options"] = "nosniff"
    headers["referrer-policy"] = "no-referrer"
    if scope["path"].startswith(_PRIVATE_PREFIXES) and "cache-control" not in headers:
        headers["cache-control"] = "no-store"
