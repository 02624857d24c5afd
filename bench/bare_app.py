"""A bare Litestar app returning a small constant dict: the framework's own ceiling on this
machine and server stack, measured beside onewindow's ``/health`` in the same run."""

from __future__ import annotations

from litestar import Litestar, get


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """The smallest useful answer."""
    return {"status": "ok"}


app = Litestar(route_handlers=[health])
