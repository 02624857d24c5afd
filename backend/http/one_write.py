"""uvicorn's httptools protocol, sending a response's head and first body chunk in one write.

uvicorn writes the status line and headers to the socket as soon as the app starts its
response, and the body when it comes: two ``send`` system calls and two TCP segments for
every small JSON answer, and a client woken twice. This protocol holds the head back until
the first body chunk (or the end of the response) and writes both together. Nothing else
changes: a HEAD answer or an empty body still sends the head, and a ``100 Continue`` (written
by uvicorn outside a response) is never held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

__all__ = ["OneWriteHttpToolsProtocol"]

Send = Callable[[Any], Awaitable[None]]


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` whose responses reach the socket in one write when small."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        cycle.send = _head_with_body(cycle)  # type: ignore[assignment]
        super()._start_asgi_task(cycle, app)


def _head_with_body(cycle: RequestResponseCycle) -> Send:
    """``cycle.send``, with the response head held until the body's first write."""
    send, transport = cycle.send, cycle.transport
    held: _HeldHead | None = None

    async def one_write(message: Any) -> None:
        nonlocal held
        if message["type"] == "http.response.start" and not cycle.response_started:
            held = _HeldHead(transport)
            cycle.transport = held  # type: ignore[assignment]
            try:
                await send(message)  # uvicorn writes the head: held
            except BaseException:
                cycle.transport, held = transport, None
                raise
            return
        try:
            await send(message)  # the body's first write carries the head
        finally:
            if held is not None:
                cycle.transport = transport
                held.release()
                held = None

    return one_write


class _HeldHead:
    """Stands in for the connection's transport from the response's start to its first body
    chunk: keeps the first write (the head) and sends it with the next one."""

    __slots__ = ("_capturing", "_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._capturing = True

    def write(self, data: bytes) -> None:
        if self._capturing:
            self._head, self._capturing = data, False
            return
        head, self._head = self._head, None
        if head is None:
            self._transport.write(data)
        else:
            self._transport.writelines((head, data))  # one writev with uvloop

    def release(self) -> None:
        """Send the head if no body write took it (HEAD, an empty body)."""
        head, self._head = self._head, None
        if head is not None and not self._transport.is_closing():
            self._transport.write(head)

    def close(self) -> None:
        self.release()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
