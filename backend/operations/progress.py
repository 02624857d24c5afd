"""A progress bar on stderr for the long commands (rebuilds, key rotation, restore)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

__all__ = ["progress_bar"]


def progress_bar(total: int, label: str, unit: str = "events") -> Callable[[int], None]:
    """A function to call with each step's count; it redraws ``label [####----] done/total``
    and the rate so far."""
    done = 0
    started = time.monotonic()

    def advance(count: int) -> None:
        nonlocal done
        done += count
        width = 30
        filled = min(width, int(width * done / total)) if total else width
        bar = "#" * filled + "-" * (width - filled)
        rate = done / max(time.monotonic() - started, 1e-6)
        sys.stderr.write(f"\r{label:<10} [{bar}] {done}/{total}  {rate:,.0f} {unit}/s")
        sys.stderr.flush()

    return advance
