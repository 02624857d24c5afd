"""LocalFileStore on the real disk, and content sniffing by magic bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from integrations.files import MAX_FILE_SIZE, LocalFileStore, sniff_content_type

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("head", "expected"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")],
    ids=["jpeg", "png", "pdf"],
)
def test_accepted_types_are_recognised_by_their_magic_bytes(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows .exe
        b"this is plain text, whatever the file was named (scan.pdf)",
        b"\x89PNG",  # truncated PNG signature
        b"",
    ],
    ids=["gif", "exe", "text-named-pdf", "truncated-png", "empty"],
)
def test_other_content_is_not_accepted_whatever_its_name(head: bytes) -> None:
    assert sniff_content_type(head) is None


async def test_a_saved_file_reads_back_identically(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")

    stored = await store.save(PDF, "application/pdf")

    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.size == len(PDF)
    assert stored.content_type == "application/pdf"
    assert await store.exists(stored.sha256)
    assert await store.open(stored.sha256) == PDF


async def test_files_are_laid_out_by_the_leading_hex_digits_of_their_hash(tmp_path: Path) -> None:
    root = tmp_path / "files"
    stored = await LocalFileStore(root).save(JPEG, "image/jpeg")

    sha = stored.sha256
    assert _stored_files(root) == [root / sha[:2] / sha[2:4] / sha]


async def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    root = tmp_path / "files"
    store = LocalFileStore(root)

    first = await store.save(PNG, "image/png")
    second = await store.save(PNG, "image/png")

    assert first == second
    # one file, and no temporary file left behind by either write
    assert len(_stored_files(root)) == 1


async def test_different_content_is_stored_separately(tmp_path: Path) -> None:
    root = tmp_path / "files"
    store = LocalFileStore(root)

    a = await store.save(PNG, "image/png")
    b = await store.save(JPEG, "image/jpeg")

    assert a.sha256 != b.sha256
    assert len(_stored_files(root)) == 2
    assert await store.open(a.sha256) == PNG
    assert await store.open(b.sha256) == JPEG


async def test_an_unknown_hash_is_not_found(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    unknown = hashlib.sha256(b"never stored").hexdigest()

    assert not await store.exists(unknown)
    with pytest.raises(KeyError):
        await store.open(unknown)


@pytest.mark.parametrize(
    "sha",
    [
        "",
        "abc",
        "A" * 64,  # uppercase hex
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "a" * 63 + "\n",
        "../../etc/passwd",
    ],
    ids=["empty", "short", "uppercase", "63-chars", "65-chars", "not-hex", "newline", "traversal"],
)
async def test_a_malformed_hash_is_refused(tmp_path: Path, sha: str) -> None:
    store = LocalFileStore(tmp_path / "files")

    assert not await store.exists(sha)
    with pytest.raises(KeyError):
        await store.open(sha)


async def test_a_path_traversal_cannot_read_a_file_outside_the_store(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not a material")
    store = LocalFileStore(tmp_path / "files")
    # Unguarded, root / ".." / "/." / sneaky is "/../..<secret>", which is the secret itself.
    sneaky = f"../..{secret}"

    assert not await store.exists(sneaky)
    with pytest.raises(KeyError):
        await store.open(sneaky)


async def test_a_file_above_the_size_limit_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "files"
    store = LocalFileStore(root)

    with pytest.raises(ValueError, match="exceeds"):
        await store.save(PDF + b"\x00" * MAX_FILE_SIZE, "application/pdf")

    assert _stored_files(root) == []
