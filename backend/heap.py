"""The cyclic garbage collector, set for a long-running server process.

Measured under wrk on the progress query (docs/performance.md): with the interpreter's
defaults, every full (oldest-generation) collection walked the whole heap the app builds at
start-up — the catalogue, the templates, the compiled routes and schemas, the libraries'
modules — about 0.1 s with the event loop stopped and nothing freed, a few times a minute
under load: the requests caught behind one are the slow tail of the latency figures.

``settle()`` runs once the app has started: one collection, then ``gc.freeze()`` moves every
object alive at that point out of the collector's sight (they live as long as the process;
reference counting still frees any that do die), so a full collection walks only what was
made since.
"""

from __future__ import annotations

import gc

__all__ = ["settle"]


def settle() -> None:
    """Collect once, then keep everything built at start-up out of later collections."""
    gc.collect()
    gc.freeze()
