"""A progress bar on stderr for the long commands (rebuilds, key rotation, restore)."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["progress_bar"]


def progress_bar(total: int, label: str) -> Callable[[int], None]:
    """A function to call with each step's count; it redraws ``label [####----] done/total``."""
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        width = 30
        filled = min(width, int(width * done / total)) if total else width
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{label:<10} [{bar}] {done}/{total}")
        sys.stderr.flush()

    return advance
