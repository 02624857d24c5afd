"""A replica's lag in seconds is the age of the oldest WAL it has not replayed, not the age of
its last replayed transaction (which grows while the primary is idle)."""

from __future__ import annotations

from backend.db.replica_lag import LagClock


def test_a_replica_that_replayed_everything_lags_zero_however_idle_the_primary_is() -> None:
    clock = LagClock(keep_seconds=60)
    clock.record(0.0, 1_000)
    clock.record(30.0, 1_000)  # nothing written for half a minute
    assert clock.lag_seconds(1_000, now=30.0) == 0.0
    assert clock.lag_bytes(1_000) == 0


def test_lag_counts_from_when_the_primary_first_had_wal_the_replica_lacks() -> None:
    clock = LagClock(keep_seconds=60)
    clock.record(0.0, 1_000)
    clock.record(1.0, 1_500)  # written between 0 s and 1 s
    clock.record(2.0, 2_000)
    clock.record(3.0, 2_000)
    # replayed up to 1 200: it lacks what the primary had at 1 s
    assert clock.lag_seconds(1_200, now=3.5) == 2.5
    assert clock.lag_bytes(1_200) == 800
    # replayed up to 1 500: it lacks what the primary had at 2 s
    assert clock.lag_seconds(1_500, now=3.5) == 1.5


def test_a_paused_replica_grows_older_with_every_check() -> None:
    clock = LagClock(keep_seconds=60)
    clock.record(0.0, 1_000)
    clock.record(1.0, 1_100)
    ages = []
    for now in (2.0, 5.0, 9.0):
        clock.record(now, 1_100 + int(now))
        ages.append(clock.lag_seconds(1_000, now=now))
    assert ages == [1.0, 4.0, 8.0]


def test_samples_older_than_the_window_are_dropped_and_lag_reads_at_least_the_window() -> None:
    clock = LagClock(keep_seconds=10)
    for second in range(100):
        clock.record(float(second), 1_000 + second)
    lag = clock.lag_seconds(0, now=99.0)
    assert lag is not None
    assert 10.0 <= lag <= 11.0


def test_nothing_measured_yet_is_unknown_not_zero() -> None:
    clock = LagClock(keep_seconds=10)
    assert clock.lag_seconds(5, now=1.0) is None
    assert clock.lag_bytes(5) is None
