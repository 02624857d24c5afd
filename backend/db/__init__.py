"""The asyncpg connection pool."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

if TYPE_CHECKING:
    from backend.settings import Settings

__all__ = ["CONNECT_TIMEOUT_SECONDS", "Pool", "connect_pool", "database_url"]

Pool = asyncpg.Pool
CONNECT_TIMEOUT_SECONDS = 5.0

_SEND_BUFFER = 4 * 1024 * 1024  # bytes
_json_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder()


def _encode_json(value: Any) -> str:
    return _json_encoder.encode(value).decode()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs when it goes back to the pool: nothing more than asyncpg's own
    rollback of an open transaction. Its default reset (unlock all advisory locks, close
    cursors, UNLISTEN, RESET ALL) costs a round trip on every release, a quarter of all our
    statements, and undoes nothing we leave behind: settings are SET LOCAL, advisory locks are
    transaction-scoped or released by their holder, listeners are removed by theirs."""


def _widen_send_buffer(conn: asyncpg.Connection) -> None:
    """A statement of a megabyte or two (a projection's chunk of rows) goes out in one write.

    On a Unix socket the kernel's default send buffer is about 200 KB: the rest of a large
    statement waited in asyncio's buffer for the event loop's next turn, and the server waited
    for it, while the loop decoded the next batch (a rebuild's writes took twice as long). Over
    TCP the kernel grows the buffer by itself, and a size set here would stop it doing so.
    asyncpg has no public way to its socket; its transport's is asyncio's documented one.
    """
    transport = getattr(conn, "_transport", None)  # private: see above
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None and sock.family == socket.AF_UNIX:
        with contextlib.suppress(OSError):  # the kernel caps it at net.core.wmem_max
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)


async def _init_connection(conn: asyncpg.Connection) -> None:
    _widen_send_buffer(conn)
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, schema="pg_catalog", encoder=_encode_json, decoder=_json_decoder.decode
        )


def database_url(settings: Settings) -> str:
    """The configured database, or the embedded server under the data dir (started if needed)."""
    if settings.database_url:
        return settings.database_url
    from backend.db.embedded import start_embedded_postgres

    return start_embedded_postgres(settings.data_dir / "pg")


async def connect_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 20,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> asyncpg.Pool:
    """A pool whose connections decode json/jsonb to Python values; connecting fails within
    ``connect_timeout`` seconds rather than hanging a request."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        # a server that cannot be reached fails a request within this, rather than hanging it
        # (a stopped one fails at once: see the soak's outage, docs/reliability.md)
        timeout=connect_timeout,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
        # lets an operator (and the scale-out test) see which process holds which lock
        server_settings={"application_name": f"onewindow-{os.getpid()}"},
    )
    assert pool is not None
    return pool
