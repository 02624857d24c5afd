"""Which database answered a request's reads of read models, told in its response headers:

- ``Onewindow-Read-Source: replica-1`` (or ``primary``; several, comma-separated, when a page
  read more than one);
- ``Onewindow-Read-After: reached`` when ``?after=`` was waited for and is in the answer, or
  ``timeout`` (then the status is 503 ``read_model_behind``: no answer older than the write).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Annotated

from litestar.params import QueryParameter

__all__ = [
    "AFTER_HEADER",
    "SOURCE_HEADER",
    "After",
    "ReadModelBehind",
    "ReadRecord",
    "begin",
    "end",
    "note_after",
    "note_source",
]

SOURCE_HEADER = "onewindow-read-source"
AFTER_HEADER = "onewindow-read-after"

# ``?after=`` on every read of a read model
After = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        description="The `position` a command answered: the read waits until its read model"
        " has it (your own write is in the answer), or answers 503 `read_model_behind` with"
        " `Retry-After` when it has not within the wait; never an answer without the write."
        " A position beyond every write is 400 `after_beyond_head`.",
    ),
]


class ReadModelBehind(Exception):
    """``?after=position`` was not reached within ``ONEWINDOW_PROJECTION_WAIT_SECONDS``: the
    answer is 503 ``read_model_behind`` with ``Retry-After``, never an answer without the write."""

    code = "read_model_behind"
    detail = "您刚才的办理已记录，页面数据正在更新，请稍后刷新"

    def __init__(self, projection: str, position: int) -> None:
        super().__init__(f"{projection} has not reached position {position} yet")
        self.projection = projection
        self.position = position


@dataclass
class ReadRecord:
    """What the request's reads found, filled in by ``backend.read_side``."""

    sources: list[str] = field(default_factory=list)
    after: str | None = None


# one record per HTTP request (a mutable holder: a task the handler starts shares it)
_current: ContextVar[ReadRecord | None] = ContextVar("onewindow_read_record", default=None)


def note_source(name: str) -> None:
    """A read of this request was answered by ``name``."""
    record = _current.get()
    if record is not None and name not in record.sources:
        record.sources.append(name)


def note_after(outcome: str) -> None:
    """``?after=`` was ``reached`` or ran into a ``timeout``."""
    record = _current.get()
    if record is not None and record.after != "timeout":
        record.after = outcome


def begin() -> tuple[ReadRecord, Token[ReadRecord | None]]:
    """A new record for this request (``backend.http.envelope`` calls it as a request starts)."""
    record = ReadRecord()
    return record, _current.set(record)


def end(token: Token[ReadRecord | None]) -> None:
    """The request is done: its record is no longer the current one."""
    _current.reset(token)
