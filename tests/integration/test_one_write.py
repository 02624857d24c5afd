"""The server sends a response's head with its first body chunk (one write), and every kind of
response still arrives whole: a body in chunks, an empty body, HEAD, 100-continue."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from backend.http.one_write import OneWriteHttpToolsProtocol

BODY_DELAY = 0.3


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path, method = scope["path"], scope["method"]
    if path == "/late-body":  # the head first, the body a while later
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
        )
        await asyncio.sleep(BODY_DELAY)
        await send({"type": "http.response.body", "body": b"hello"})
    elif path == "/chunks":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/echo":
        message = await receive()
        body = message.get("body", b"")
        length = str(len(body)).encode()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]}
        )
        await send({"type": "http.response.body", "body": body})
    else:
        body = b"small" if method != "HEAD" else b""
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, http=OneWriteHttpToolsProtocol, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield sock.getsockname()
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def connection(address: tuple[str, int]) -> Iterator[socket.socket]:
    with socket.create_connection(address, timeout=5) as conn:
        yield conn


def read_response(conn: socket.socket, until: bytes) -> bytes:
    data = b""
    while until not in data:
        part = conn.recv(65536)
        if not part:
            break
        data += part
    return data


def test_the_head_waits_for_the_body_and_goes_out_with_it(address: tuple[str, int]) -> None:
    with connection(address) as conn:
        conn.sendall(b"GET /late-body HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(BODY_DELAY / 2)
        with pytest.raises(TimeoutError):  # nothing yet: stock uvicorn would send the head now
            conn.recv(65536)
        conn.settimeout(5)
        answer = read_response(conn, b"hello")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\nhello")


def test_a_body_in_chunks_arrives_whole_and_in_order(address: tuple[str, int]) -> None:
    with connection(address) as conn:
        conn.sendall(b"GET /chunks HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_response(conn, b"0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert body == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"


def test_an_empty_body_and_a_head_request_still_get_their_head(address: tuple[str, int]) -> None:
    with connection(address) as conn:
        conn.sendall(b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(conn, b"\r\n\r\n").startswith(b"HTTP/1.1 204 No Content\r\n")
        conn.sendall(b"HEAD /small HTTP/1.1\r\nHost: x\r\n\r\n")
        head = read_response(conn, b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert head.endswith(b"\r\n\r\n")  # and no body
        conn.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive goes on
        assert read_response(conn, b"small").endswith(b"\r\n\r\nsmall")


def test_100_continue_is_sent_at_once_not_held(address: tuple[str, int]) -> None:
    with connection(address) as conn:
        conn.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        assert read_response(conn, b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(b"ping")
        assert read_response(conn, b"ping").endswith(b"\r\n\r\nping")
