"""What every fake outside service has in common: an HTTP server on loopback in a thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """Start, stop and context management for a fake; subclasses give the request handler."""

    _thread_name = "fake-server"

    def _init_loopback(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class bound to this fake."""
        raise NotImplementedError

    def start(self) -> None:
        """Bind the port (0: any free one) and serve in a daemon thread."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(self._address, self._handler())
        server.daemon_threads = True
        # a short poll interval keeps stop() fast (shutdown waits for the next poll)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self._thread_name,
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _origin(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._server is None:
            msg = f"{type(self).__name__} is not started"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"
