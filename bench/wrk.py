"""``wrk``, the C load generator, driven from the bench: it leaves the server the CPU that a
Python client would take. ``make bench`` installs it from Debian's packages when missing."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["WrkResult", "available", "run"]

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    """One wrk run's figures."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    bad_responses: int  # non-2xx/3xx answers
    socket_errors: int  # connect, read, write and timeout errors


def available() -> bool:
    return shutil.which("wrk") is not None


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def parse(output: str) -> WrkResult:
    """The figures from wrk's ``--latency`` report."""

    def find(pattern: str) -> re.Match[str]:
        found = re.search(pattern, output)
        if found is None:
            raise ValueError(f"wrk's report has no {pattern!r}:\n{output}")
        return found

    rate = float(find(r"Requests/sec:\s+([\d.]+)").group(1))
    p50 = find(r"\b50%\s+([\d.]+)(us|ms|s|m)\b")
    p99 = find(r"\b99%\s+([\d.]+)(us|ms|s|m)\b")
    latency = find(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)")
    requests = int(find(r"(\d+) requests in").group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_s=rate,
        p50_ms=_ms(*p50.groups()),
        p99_ms=_ms(*p99.groups()),
        max_ms=_ms(*latency.groups()),
        requests=requests,
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    threads: int = 2,
) -> WrkResult:
    """GET ``url`` from ``connections`` keep-alive connections for ``seconds`` (bounded)."""
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603 - a fixed program with our own arguments
        [*args, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    return parse(done.stdout)
