"""Who does something: recorded with every event of an application (全过程留痕)."""

from __future__ import annotations

from typing import Any, Literal, get_args

import msgspec

__all__ = ["OVERSEERS", "STAFF_ROLES", "Actor", "Role", "StaffRole"]

Role = Literal["citizen", "clerk", "reviewer", "supervisor", "admin", "courier", "system"]
StaffRole = Literal["clerk", "reviewer", "supervisor", "admin", "courier"]
STAFF_ROLES: frozenset[str] = frozenset(get_args(StaffRole))
# who sees and acts on every department's cases
OVERSEERS: frozenset[str] = frozenset({"supervisor", "admin"})


class Actor(msgspec.Struct, frozen=True):
    """A citizen, a staff member or the system itself."""

    id: str
    role: Role
    department: str | None = None
    name: str | None = None

    @property
    def oversees_all(self) -> bool:
        """Supervisors and admins see and act on every department's applications."""
        return self.role in OVERSEERS

    def as_record(self) -> dict[str, Any]:
        """The form stored inside events."""
        return {"id": self.id, "role": self.role, "department": self.department, "name": self.name}
