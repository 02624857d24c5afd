"""What every benchmark shares: scratch databases, a measuring window, percentiles, CPU use."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from backend.db.url import with_database
from backend.settings import Settings

__all__ = [
    "CpuMeter",
    "Recorded",
    "Row",
    "Window",
    "create_database",
    "percentile",
    "postmaster_pid",
    "process_cpu_seconds",
    "settings_for",
]

SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105 - scratch


class Row(msgspec.Struct, kw_only=True):
    """One line of the results table."""

    section: str
    case: str
    clients: int | None = None
    rate: float | None = None  # per second
    unit: str = ""
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    ratio_of: str = ""  # what the ratio divides by
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


async def create_database(server_url: str, name: str) -> str:
    """A new empty database on the bench server; its URL."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_url, name)


def settings_for(url: str, data_dir: Path, *, group_commit: bool = True) -> Settings:
    """Application settings for one scratch database (sandbox mode, no background workers)."""
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=SECRET_KEY,
        group_commit=group_commit,
        run_workers=False,
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Window:
    """A warm-up, then a fixed measured interval; clients stop starting work at ``end``."""

    start: float
    end: float

    @classmethod
    def after(cls, warmup: float, duration: float) -> Window:
        now = time.perf_counter()
        return cls(now + warmup, now + warmup + duration)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def open(self) -> bool:
        return time.perf_counter() < self.end


@dataclass
class Recorded:
    """Completions inside the window (for rates) and latencies of work started inside it."""

    window: Window
    completed: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)
    total: int = 0  # every completion, warm-up and tail included (for CPU per unit of work)

    def add(self, kind: str, started: float, finished: float) -> None:
        self.total += 1
        if self.window.start <= finished <= self.window.end:
            self.completed[kind] = self.completed.get(kind, 0) + 1
            if started >= self.window.start:
                self.latencies.append(finished - started)

    def error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1

    def rate(self, *kinds: str) -> float:
        done = (
            sum(self.completed.get(k, 0) for k in kinds) if kinds else sum(self.completed.values())
        )
        return done / self.window.duration

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, q) * 1000

    def merge(self, other: Recorded) -> None:
        for kind, count in other.completed.items():
            self.completed[kind] = self.completed.get(kind, 0) + count
        self.latencies.extend(other.latencies)
        self.total += other.total
        for name, count in other.errors.items():
            self.errors[name] = self.errors.get(name, 0) + count


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _children(ppid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat and int(stat[1]) == ppid:
                pids.append(int(entry))
    return pids


class CpuMeter:
    """CPU seconds used by this process and by the PostgreSQL server over an interval.

    The server's figure is its postmaster, its live backends, and (through the postmaster's
    cutime/cstime) every backend that exited, so connections opened and closed inside the
    interval are counted too.
    """

    def __init__(self, postmaster_pid: int | None, *, settle_checks: int = 5) -> None:
        self.postmaster_pid = postmaster_pid
        self.settle_checks = settle_checks
        self._hz = os.sysconf("SC_CLK_TCK")

    def _server_ticks(self) -> int:
        if self.postmaster_pid is None:
            return 0
        stat = _stat(self.postmaster_pid)
        if not stat:
            return 0
        # utime, stime, cutime, cstime of the postmaster
        total = sum(int(stat[i]) for i in (11, 12, 13, 14))
        for pid in _children(self.postmaster_pid):
            child = _stat(pid)
            if child:
                total += int(child[11]) + int(child[12])
        return total

    def start(self) -> tuple[float, float, int]:
        return time.perf_counter(), time.process_time(), self._server_ticks()

    def stop(self, started: tuple[float, float, int]) -> dict[str, float]:
        """The interval's figures. Backends of closed pools take a moment to exit and be
        reaped (only then do their ticks reach the postmaster's cutime): wait until the
        server's total stops moving (at most 3 s; wall and our CPU are read before)."""
        wall0, cpu0, server0 = started
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        ticks = self._server_ticks()
        deadline, steady = time.perf_counter() + 3.0, 0
        while steady < self.settle_checks and time.perf_counter() < deadline:
            time.sleep(0.1)
            now = self._server_ticks()
            steady = steady + 1 if now == ticks else 0
            ticks = now
        return {
            "wall_s": round(wall, 3),
            "bench_cpu_s": round(cpu, 3),
            "postgres_cpu_s": round((ticks - server0) / self._hz, 3),
        }


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    stat = _stat(pid)
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK") if stat else 0.0


def postmaster_pid(pgdata: Path) -> int | None:
    """The PostgreSQL server's pid, from its data directory."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
