"""Personal data (个人信息) inside events: a value that belongs to one citizen.

ID-card numbers, phone numbers, names and addresses go into events wrapped in ``Personal``. The
event store encrypts every ``Personal`` under its owner's own key, so deleting that key erases
the person from the whole log at once (crypto-shredding); the value then reads back as erased
(``None``) and everything else about the case stays as it was. The domain never sees a key.
"""

from __future__ import annotations

from typing import Generic, TypeVar
from uuid import UUID

__all__ = ["ERASED_TEXT", "Personal", "SealedText", "seal", "text_of"]

T = TypeVar("T")

# What people are shown in place of personal data whose owner has been forgotten.
ERASED_TEXT = "[已删除]"


class Personal(Generic[T]):
    """A JSON-like value (str, number, bool, list, dict) that belongs to citizen ``owner``.

    ``value`` is ``None`` only when the owner's key is gone: the value was erased. Deliberately
    not a dataclass or Struct: no serializer turns it into plain JSON by accident (a read model
    that tries fails loudly instead of leaking), and ``repr`` never shows the value.
    """

    __slots__ = ("owner", "value")

    def __init__(self, owner: UUID, value: T | None) -> None:
        self.owner = owner
        self.value = value

    @classmethod
    def erased_of(cls, owner: UUID) -> Personal[T]:
        """The erased value of ``owner`` (what decoding gives once the key is deleted)."""
        return cls(owner, None)

    @property
    def erased(self) -> bool:
        """True when the owner was forgotten and the value cannot be read any more."""
        return self.value is None

    def reveal(self, erased: T) -> T:
        """The value, or ``erased`` in its place."""
        return erased if self.value is None else self.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Personal):
            return NotImplemented
        return self.owner == other.owner and self.value == other.value

    __hash__ = None  # type: ignore[assignment]  # mutable JSON values are not hashable

    def __repr__(self) -> str:
        state = "erased" if self.value is None else "..."
        return f"Personal(owner={self.owner}, {state})"


# Free text written by or about a citizen (a comment, a note, a signer's name), as events keep
# it: sealed under the citizen's key when the owner is known; plain in events stored before.
SealedText = Personal[str] | str


def seal(owner: UUID | None, text: str) -> SealedText:
    """``text`` sealed under ``owner``'s key (kept plain when no owner is known)."""
    return text if owner is None else Personal(owner, text)


def text_of(value: SealedText | None) -> str:
    """The text to show: the words, or "[已删除]" once their owner was forgotten."""
    if value is None:
        return ""
    if isinstance(value, Personal):
        return value.reveal(ERASED_TEXT)
    return value
