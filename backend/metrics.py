"""Prometheus metrics of one process: HTTP latency, command saves, projections, outbox, and years
the working-day calendar lacks."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The instruments, in a registry of their own (one per app, so tests can build many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http = Histogram(
            "onewindow_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.save = Histogram(
            "onewindow_command_save_duration_seconds",
            "Time to write one command's events (lock, insert, notify, commit)",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_per_save = Histogram(
            "onewindow_events_per_command",
            "Events written by one command",
            buckets=(1, 2, 3, 5, 10, 20, 50),
            registry=self.registry,
        )
        self.conflicts = Counter(
            "onewindow_command_conflicts_total",
            "Saves that lost an optimistic-concurrency race",
            registry=self.registry,
        )
        self.login_spraying = Counter(
            "onewindow_login_spraying_total",
            "Wrong staff passwords for one username from many clients at once (alert on it)",
            registry=self.registry,
        )
        self.lag = Gauge(
            "onewindow_projection_lag_events",
            "Events in the log the projection has not applied yet",
            ["projection"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "onewindow_projection_leader",
            "1 when this process leads the projection",
            ["projection"],
            registry=self.registry,
        )
        self.batch = Gauge(
            "onewindow_projection_last_batch_size",
            "Events in the projection's last batch in this process",
            ["projection"],
            registry=self.registry,
        )
        self.applied = Gauge(
            "onewindow_projection_events_applied",
            "Events this process applied to the projection since it started",
            ["projection"],
            registry=self.registry,
        )
        self.calendar_missing_years = Gauge(
            "onewindow_calendar_missing_years",
            "Years deadlines may reach (this one, the next within the lookahead) that have no"
            " official holiday schedule: counted Monday to Friday",
            registry=self.registry,
        )
        self.outbox = Gauge(
            "onewindow_outbox_messages",
            "Notification outbox rows by status",
            ["status"],
            registry=self.registry,
        )

        # read models on replicas (backend/read_side.py, backend/db/replicas.py)
        self.reads = Counter(
            "onewindow_read_model_reads_total",
            "Reads of read models by who answered (primary or a replica) and why",
            ["source", "reason"],
            registry=self.registry,
        )
        self._read_children: dict[tuple[str, str], Any] = {}
        self.read_wait = Histogram(
            "onewindow_read_after_wait_seconds",
            "Time a read with ?after= waited for its position, by who then answered",
            ["source"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.read_timeouts = Counter(
            "onewindow_read_after_timeouts_total",
            "Reads with ?after= answered 503 read_model_behind: the position was not reached",
            ["projection"],
            registry=self.registry,
        )
        self.replica_lag_bytes = Gauge(
            "onewindow_replica_lag_bytes",
            "WAL the primary has and the replica has not replayed yet",
            ["replica"],
            registry=self.registry,
        )
        self.replica_lag_seconds = Gauge(
            "onewindow_replica_lag_seconds",
            "Seconds since the primary first had WAL the replica has not replayed",
            ["replica"],
            registry=self.registry,
        )
        self.replica_in_pool = Gauge(
            "onewindow_replica_in_read_pool",
            "1 while the replica serves reads (reachable, a standby, lag within the bound)",
            ["replica"],
            registry=self.registry,
        )
        self.replica_paused = Gauge(
            "onewindow_replica_replay_paused",
            "1 when the replica's WAL replay is paused (pg_wal_replay_pause)",
            ["replica"],
            registry=self.registry,
        )

    def observe_save(self, seconds: float, events: int) -> None:
        """Called by the repository after each committed command."""
        self.save.observe(seconds)
        self.events_per_save.observe(events)

    def count_read(self, source: str, reason: str) -> None:
        """One read of a read model, by who answered and why (the labelled child is kept:
        ``labels`` takes a lock and checks the values on every call, on every read)."""
        child = self._read_children.get((source, reason))
        if child is None:  # bounded: the primary and the replicas, times a few reasons
            child = self._read_children[(source, reason)] = self.reads.labels(source, reason)
        child.inc()
