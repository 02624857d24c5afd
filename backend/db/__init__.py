"""The asyncpg connection pool."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

if TYPE_CHECKING:
    from backend.settings import Settings

__all__ = ["Pool", "connect_pool", "database_url"]

Pool = asyncpg.Pool

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


async def _init_connection(conn: asyncpg.Connection) -> None:
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
    url: str, *, min_size: int = 2, max_size: int = 20, connect_timeout: float = 60.0
) -> asyncpg.Pool:
    """A pool whose connections decode json/jsonb to Python values."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=connect_timeout,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
        # lets an operator (and the scale-out test) see which process holds which lock
        server_settings={"application_name": f"onewindow-{os.getpid()}"},
    )
    assert pool is not None
    return pool
