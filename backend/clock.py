"""Time as the backend sees it: Asia/Shanghai, and replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from domain.calendar import CST

__all__ = ["Clock", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in China time."""
    return datetime.now(UTC).astimezone(CST)
