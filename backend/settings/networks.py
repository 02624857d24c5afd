"""Addresses and networks in settings (``10.0.0.0/8, 127.0.0.1``)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

__all__ = ["Network", "networks_of", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` -> networks; a bad entry is a ``ValueError`` naming it."""
    networks = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            msg = f"not an address or network: {entry!r}"
            raise ValueError(msg) from None
    return tuple(networks)


@lru_cache(maxsize=16)
def networks_of(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of entries already checked by ``parse_networks`` (cached: read per request)."""
    return parse_networks(",".join(entries))
