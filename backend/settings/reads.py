"""Where read models are read (``ONEWINDOW_READ_*``), part of ``Settings``: streaming replicas
of the primary, and how far behind one may be before reads leave it (docs/scaling.md)."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

__all__ = ["ReadSettings"]


class ReadSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Hot-standby replicas for the queries of read models; none: everything on the primary."""

    # ONEWINDOW_READ_DATABASE_URL: one URL, or several separated by commas or spaces
    replica_urls: tuple[str, ...] = ()
    # a replica whose replay is further behind the primary than this leaves the read pool
    # (and comes back once it is within it again)
    max_lag_seconds: float = 5.0
    # ?after=: once the primary's read model has the position, how long to wait for the
    # replica to replay it before the primary answers instead
    replica_wait_seconds: float = 0.25
    # how often each replica's replay position and lag are measured
    health_interval_seconds: float = 1.0
    pool_size: int = 20  # connections per replica pool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReadSettings:
        """Read the variables (unset ones keep their defaults)."""
        urls = env.get("ONEWINDOW_READ_DATABASE_URL", "").replace(",", " ").split()
        return cls(
            replica_urls=tuple(urls),
            max_lag_seconds=float(env.get("ONEWINDOW_READ_MAX_LAG_SECONDS", 5.0)),
            replica_wait_seconds=float(env.get("ONEWINDOW_READ_REPLICA_WAIT_SECONDS", 0.25)),
            health_interval_seconds=float(env.get("ONEWINDOW_READ_HEALTH_SECONDS", 1.0)),
            pool_size=int(env.get("ONEWINDOW_READ_POOL_SIZE", 20)),
        )
