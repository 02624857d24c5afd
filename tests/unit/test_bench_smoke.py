"""The benchmark package: its pure helpers always; ``python -m bench --quick`` end to end only
when asked (``ONEWINDOW_BENCH_SMOKE=1``: it starts PostgreSQL and a server, about a minute)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert sections == {"commands", "progress query", "projection catch-up", "growth"}
    assert all(not row["extra"].get("errors") for row in data["rows"])
    assert data["postgres"]["fsync"] == "on"
