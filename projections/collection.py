"""The cyclic garbage collector paused while a batch is decoded and applied.

A batch holds thousands of freshly decoded events and views alive until it is written, so
every collection in the meantime walks them all and frees nothing (they are freed by
reference counting when the batch ends): measured on the catch-up benchmark, a quarter of a
rebuild's time. Overlapping batches (the read-ahead) share one pause; the collector runs again
when the last of them ends, as it was before.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collection_paused"]

_holders = 0
_was_enabled = False


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside (reference counting frees as usual)."""
    global _holders, _was_enabled  # noqa: PLW0603 - one collector per process
    if _holders == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0 and _was_enabled:
            gc.enable()
