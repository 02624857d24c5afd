"""A bare Litestar app returning a small constant dict: the framework's own ceiling on this
machine and server stack, measured beside onewindow's ``/health`` in the same run.

``python -m bench.bare_app PORT`` serves it with onewindow's own uvicorn options
(``backend.cli.server_options``: httptools, uvloop, one write per small response)."""

from __future__ import annotations

import sys

from litestar import Litestar, get


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """The smallest useful answer."""
    return {"status": "ok"}


app = Litestar(route_handlers=[health])


if __name__ == "__main__":
    import uvicorn

    from backend.cli import server_options

    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), **server_options() | {"log_level": "warning"}
    )
