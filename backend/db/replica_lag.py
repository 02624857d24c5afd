"""How far a replica's replay is behind the primary, in bytes of WAL and in seconds.

Bytes are the difference of two WAL positions. Seconds cannot be read off the replica:
``now() - pg_last_xact_replay_timestamp()`` grows while the primary is idle although nothing is
missing. So the primary's WAL position is sampled, and a replica is as old as the moment the
primary first had WAL that the replica has not replayed (PostgreSQL's own ``replay_lag`` in
``pg_stat_replication`` is measured the same way, but on the primary and per connection).
"""

from __future__ import annotations

from collections import deque

__all__ = ["LagClock"]


class LagClock:
    """The primary's WAL position over the last ``keep_seconds``, sampled when it moves."""

    def __init__(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds
        self._samples: deque[tuple[float, int]] = deque()  # (when, lsn), both increasing

    def record(self, at: float, lsn: int) -> None:
        """The primary's WAL position ``lsn`` (bytes) as read at ``at`` (monotonic seconds)."""
        if self._samples and self._samples[-1][1] >= lsn:
            return  # it has not moved: the first sample at that position is the one that counts
        self._samples.append((at, lsn))
        while len(self._samples) > 1 and self._samples[1][0] < at - self.keep_seconds:
            self._samples.popleft()

    @property
    def head(self) -> int | None:
        """The primary's latest sampled WAL position."""
        return self._samples[-1][1] if self._samples else None

    def lag_bytes(self, replayed: int) -> int | None:
        """WAL the primary had at the last sample and the replica has not replayed."""
        head = self.head
        return None if head is None else max(head - replayed, 0)

    def lag_seconds(self, replayed: int, now: float) -> float | None:
        """Seconds since the primary first had WAL beyond ``replayed`` (0: nothing missing).
        Past ``keep_seconds`` it reads at least that long."""
        if not self._samples:
            return None
        for at, lsn in self._samples:
            if lsn > replayed:
                return max(now - at, 0.0)
        return 0.0
