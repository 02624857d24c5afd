"""A citizen's declared identity (实名信息): name and ID number, sealed under their key.

onewindow knows a citizen by their WeChat openid only; the e-certificate platform knows people
by ID number. A citizen declares their name and ID number once, and certificates are fetched
for that number. (A deployment takes them from a real-name check instead: WeChat's or the
public security service's; the sandbox takes the declaration at its word.)
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import ValidationFailed
from domain.personal import Personal

__all__ = ["CitizenIdentity", "id_check_digit", "identity_id", "valid_id_number"]

_NAMESPACE = uuid.UUID("a6d3f3e4-51b1-4f3c-8d3e-6964656e7469")
_SHAPE = re.compile(r"\d{17}[\dX]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def identity_id(citizen_id: uuid.UUID) -> uuid.UUID:
    """The aggregate id of a citizen's identity (one per citizen)."""
    return uuid.uuid5(_NAMESPACE, f"identity:{citizen_id}")


def id_check_digit(first17: str) -> str:
    """The check character of a 居民身份证号码 (GB 11643, ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def valid_id_number(number: str) -> bool:
    """An 18-character ID number whose check character is right."""
    return bool(_SHAPE.fullmatch(number)) and id_check_digit(number[:17]) == number[17]


class CitizenIdentity(Aggregate):
    """Who a citizen says they are; declared once."""

    class Declared(Aggregate.Created):
        citizen_id: uuid.UUID
        identity: Personal[dict[str, Any]]  # {"name": ..., "idNumber": ...}

    def __init__(self, *, citizen_id: uuid.UUID, identity: Personal[dict[str, Any]]) -> None:
        self.citizen_id = citizen_id
        self.identity = identity

    @classmethod
    def declare(
        cls, *, citizen_id: uuid.UUID, name: str, id_number: str, at: datetime
    ) -> CitizenIdentity:
        """Declare a name and an ID number (checked: shape and check character)."""
        number = id_number.strip().upper()
        errors: dict[str, str] = {}
        if not valid_id_number(number):
            errors["idNumber"] = "an 18-character 居民身份证号码 with a right check character"
        if not name.strip() or len(name) > 50 or "\x00" in name:
            errors["name"] = "1..50 characters"
        if errors:
            raise ValidationFailed("身份信息有误", errors)
        return cls._create(
            cls.Declared,
            id=identity_id(citizen_id),
            timestamp=at,
            citizen_id=citizen_id,
            identity=Personal(citizen_id, {"name": name.strip(), "idNumber": number}),
        )

    @property
    def name(self) -> str | None:
        """The declared name (None once the citizen was forgotten)."""
        value = self.identity.value
        return None if value is None else str(value["name"])

    @property
    def id_number(self) -> str | None:
        """The declared ID number (None once the citizen was forgotten)."""
        value = self.identity.value
        return None if value is None else str(value["idNumber"])
