"""File storage for application materials: content-addressed, written atomically, off the loop.

Files are named by the SHA-256 of their content, so the same scan uploaded twice is stored once
and a stored file can never change under its name. The content type is decided by the caller from
the bytes (``sniff_content_type``), never from the file name the client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

import msgspec

__all__ = [
    "MAX_FILE_SIZE",
    "FileStore",
    "LocalFileStore",
    "StoredFile",
    "sniff_content_type",
]

MAX_FILE_SIZE = 10 * 1024 * 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
# Only a full lowercase hex digest may become a path: this is the path-traversal guard.
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file judged by its first bytes, or None if it is not accepted.

    Accepted: JPEG, PNG and PDF. The file name is deliberately not consulted.
    """
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


class StoredFile(msgspec.Struct, frozen=True):
    """A file held by a store: its content hash (the key), size in bytes and content type."""

    sha256: str
    size: int
    content_type: str


class FileStore(Protocol):
    """Where uploaded materials live, keyed by the SHA-256 of their content."""

    async def save(self, data: bytes, content_type: str) -> StoredFile:
        """Store ``data`` (idempotent for identical content) and return its record."""
        ...

    async def exists(self, sha256: str) -> bool:
        """Whether a file with this hash is stored."""
        ...

    async def open(self, sha256: str) -> bytes:
        """The content of the file with this hash; ``KeyError`` if unknown or malformed."""
        ...

    async def delete(self, sha256: str) -> None:
        """Remove the file with this hash (nothing happens if there is none)."""
        ...


class LocalFileStore(FileStore):
    """A ``FileStore`` on the local disk, at ``root/ab/cd/<sha256>``; all I/O runs in a thread."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise KeyError(sha256)
        return self._root / sha256[:2] / sha256[2:4] / sha256

    async def save(self, data: bytes, content_type: str) -> StoredFile:
        """Store ``data`` under its SHA-256; storing identical content again writes nothing.

        Raises ``ValueError`` if ``data`` is larger than ``MAX_FILE_SIZE``.
        """
        if len(data) > MAX_FILE_SIZE:
            raise ValueError(f"file of {len(data)} bytes exceeds {MAX_FILE_SIZE} bytes")
        sha256 = await asyncio.to_thread(self._write, data)
        return StoredFile(sha256=sha256, size=len(data), content_type=content_type)

    async def exists(self, sha256: str) -> bool:
        """Whether a file with this hash is stored (False for a malformed hash)."""
        try:
            path = self._path(sha256)
        except KeyError:
            return False
        return await asyncio.to_thread(path.is_file)

    async def open(self, sha256: str) -> bytes:
        """The stored content; ``KeyError`` if the hash is unknown or not 64 lowercase hex."""
        path = self._path(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise KeyError(sha256) from None

    async def delete(self, sha256: str) -> None:
        """Remove the stored file; an unknown or malformed hash is a no-op."""
        try:
            path = self._path(sha256)
        except KeyError:
            return
        await asyncio.to_thread(path.unlink, missing_ok=True)

    def _write(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self._path(sha256)
        if target.is_file():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        # Temp file in the target directory, so os.replace is an atomic rename on one filesystem:
        # a reader sees either no file or the whole file, never a partial write.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return sha256
