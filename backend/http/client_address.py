"""Who is calling: the peer's address, or, behind a proxy we trust, the address it forwards.

uvicorn runs with ``proxy_headers=False``: it never rewrites the client from
``X-Forwarded-For``, so nobody can pick their own address by sending that header. The app
reads the header only when the peer is one of ``ONEWINDOW_TRUSTED_PROXIES`` (default: none),
and then takes the right-most address in it that is not a trusted proxy itself (the one the
first trusted hop saw; anything to its left the client may have written).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from litestar.connection import ASGIConnection

from backend.settings.networks import Network, networks_of

__all__ = ["client_address"]


def _trusted(host: str, proxies: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def client_address(connection: ASGIConnection[Any, Any, Any, Any], trusted: tuple[str, ...]) -> str:
    """The caller's address as far as we can know it (see the module doc); ``trusted``: the
    proxies' addresses or networks (``Settings.trusted_proxies``)."""
    peer = connection.client.host if connection.client is not None else "unknown"
    proxies = networks_of(trusted)
    if not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = [a.strip() for a in connection.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _trusted(address, proxies):
            return address[:64]
    return peer
