"""Time as the backend sees it: Asia/Shanghai, and replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["CHINA", "Clock", "system_clock"]

# China has kept UTC+8 without daylight saving since 1991.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in China time."""
    return datetime.now(UTC).astimezone(CHINA)
