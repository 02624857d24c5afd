"""Headers every response carries, whatever produced it (a handler, an error, the router's own
404, a static file): set in a ``before_send`` hook, which sees every message the app sends."""

from __future__ import annotations

from litestar.types import Message, Scope

__all__ = ["security_headers"]

# API answers carry tokens and personal data: never kept by a browser or a proxy
_PRIVATE_PREFIXES = ("/api/", "/console/")
_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
_NO_STORE = (b"cache-control", b"no-store")


async def security_headers(message: Message, scope: Scope) -> None:
    """``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` on every
    response; ``Cache-Control: no-store`` on the API's and the console's unless they set one."""
    if message["type"] != "http.response.start":
        return
    # appended as raw pairs (no handler sets these two; the lookups of a parsed copy cost every
    # request, /health included)
    raw: list[tuple[bytes, bytes]] = list(message.get("headers") or ())
    raw += _ALWAYS
    if scope["path"].startswith(_PRIVATE_PREFIXES) and all(
        name.lower() != b"cache-control" for name, _ in raw
    ):
        raw.append(_NO_STORE)
    message["headers"] = raw
