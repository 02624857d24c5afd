"""The soak and fault run for one minute (``make soak`` runs it for ten): the real server at a
fixed mixed rate while PostgreSQL is stopped for 10 s, WeChat is down and a projection worker
is killed; no 5xx but the explained 503s, every acknowledged write stored and shown, memory
flat, lag bounded, the outbox caught up without a duplicate (bench/soak/checks.py)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from bench.soak.report import markdown
from bench.soak.run import soak

pytestmark = pytest.mark.slow


async def test_a_minute_of_mixed_load_through_three_faults_stays_clean() -> None:
    # its own PostgreSQL, outside pytest's temporary directories: stopping it harms no test
    with tempfile.TemporaryDirectory(prefix="onewindow-soak-") as tmp:
        async with asyncio.timeout(600):  # a minute of load, its settling and bounded checks
            result = await soak(Path(tmp), seconds=60)
    assert result["ok"], markdown(result)
    assert result["acknowledged_writes"] > 100
    assert result["faults"]["postgres stopped"]["answered_503"] > 0  # the outage was real
