"""Small helpers on PostgreSQL connection URLs."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["with_database"]


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
