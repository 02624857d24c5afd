"""The benchmark package: its pure helpers always; ``python -m bench --quick`` end to end only
when asked (``ONEWINDOW_BENCH_SMOKE=1``: it starts PostgreSQL and a server, about a minute)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.db.embedded_replica import pg_basebackup_available
from bench import wrk
from bench.common import Recorded, Row, Window, percentile
from bench.report import render_markdown_table, render_table, verdicts

ROOT = Path(__file__).resolve().parents[2]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 50) == 0.0


def test_only_completions_inside_the_window_count() -> None:
    recorded = Recorded(Window(start=10.0, end=20.0))
    recorded.add("submit", 9.0, 10.5)  # completed inside: counted, latency not (warm-up start)
    recorded.add("submit", 11.0, 11.002)
    recorded.add("accept", 19.0, 21.0)  # completed after the window
    assert recorded.completed == {"submit": 2}
    assert recorded.rate("submit") == pytest.approx(0.2)
    assert recorded.latencies == [pytest.approx(0.002)]


def test_the_table_lines_up_and_names_the_ratio() -> None:
    rows = [
        Row(
            section="commands",
            case="ours",
            clients=32,
            rate=900.0,
            unit="ops/s",
            p50_ms=30.0,
            p99_ms=80.0,
            ratio=3.1,
            ratio_of="stock",
            extra={"commands_per_s": 1800.0},
        ),
        Row(section="growth", case="办件 load", p50_ms=0.5),
    ]
    text = render_table(rows)
    assert "900 ops/s (1,800 cmd/s)" in text
    assert "3.10x stock" in text
    assert len(render_markdown_table(rows).splitlines()) == 4
    assert verdicts({"x": {"text": "vs stock: 3.1x", "met": True}}) == ["vs stock: 3.1x — met"]
    missed = {"text": "health over HTTP (wrk): 0.50x a bare Litestar app", "met": False}
    assert verdicts({"h": {**missed, "target": ">= 0.7x"}}) == [
        "health over HTTP (wrk): 0.50x a bare Litestar app — NOT met (target >= 0.7x)"
    ]


def test_wrk_report_is_read_in_milliseconds() -> None:
    report = """Running 8s test @ http://127.0.0.1:8000/health
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    17.61ms    4.20ms   1.02s    90.00%
    Req/Sec     1.82k   100.00     2.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%   18.00ms
     90%   20.00ms
     99%   24.50ms
  29120 requests in 8.00s, 4.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   3640.00
Transfer/sec:    512.00KB
"""
    result = wrk.parse(report)
    assert result.requests_per_s == 3640.0
    assert result.p50_ms == pytest.approx(0.85)
    assert result.p99_ms == pytest.approx(24.5)
    assert result.max_ms == pytest.approx(1020.0)
    assert result.requests == 29120
    assert result.bad_responses == 3
    assert result.socket_errors == 0


@pytest.mark.skipif(
    os.environ.get("ONEWINDOW_BENCH_SMOKE") != "1",
    reason="starts PostgreSQL and the API server; set ONEWINDOW_BENCH_SMOKE=1",
)
def test_quick_bench_runs_every_section(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    result = subprocess.run(  # noqa: S603 - our own interpreter and package
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--no-docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "vs stock:" in result.stdout
    data = json.loads(out.read_text())
    sections = {row["section"] for row in data["rows"]}
    # (the replica section runs where the embedded PostgreSQL has pg_basebackup)
    replica = {"replica"} if pg_basebackup_available() else set()
    assert sections == {"commands", "HTTP (wrk)", "projection catch-up", "growth"} | replica
    assert all(not row["extra"].get("errors") for row in data["rows"])
    assert data["postgres"]["fsync"] == "on"
