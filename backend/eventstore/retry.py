"""Bounded retry of a command whose save lost an optimistic-concurrency race."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.errors import ConflictError

__all__ = ["retry_on_conflict"]

T = TypeVar("T")


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], retries: int) -> T:
    """Run ``attempt`` again (reloading state) when another writer got there first."""
    for tries in range(retries + 1):
        try:
            return await attempt()
        except ConflictError:
            if tries == retries:
                raise
            # a little jitter so that the same writers do not collide again in step
            await asyncio.sleep(random.uniform(0, 0.005 * (tries + 1)))  # noqa: S311
    raise AssertionError("unreachable")  # pragma: no cover
