"""Domain errors. The backend maps each class to one HTTP problem (see backend/http/errors.py).

Every error a person can cause carries a ``detail`` in Chinese that a screen can show as it is,
and a stable ``code`` a client can map: the class's own, or a finer one given where it is
raised (``InvalidState("您已评价过该办件", code="already_evaluated")``). docs/errors.md lists
every code; tests/unit/test_error_codes.py walks the code so that table cannot drift."""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "DomainError",
    "Forbidden",
    "InvalidState",
    "NotFound",
    "PayloadTooLarge",
    "QuotaExceeded",
    "SlotFull",
    "Unauthenticated",
    "UnsupportedMediaType",
    "ValidationFailed",
]


class DomainError(Exception):
    """Base of every error a user can cause; each subclass has a stable machine ``code``."""

    code = "domain_error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """Unknown, or not visible to the caller (never reveal another citizen's resource)."""

    code = "not_found"


class InvalidState(DomainError):
    """The action is not allowed in the aggregate's current state."""

    code = "invalid_state"


class ConflictError(DomainError):
    """A concurrent writer changed the aggregate first, or an idempotency key was reused."""

    code = "conflict"


class SlotFull(DomainError):
    """Every place of an appointment slot is taken."""

    code = "slot_full"


class ValidationFailed(DomainError):
    """Input breaks a rule; ``errors`` maps a field path to what is wrong with it."""

    code = "validation_failed"

    def __init__(
        self, detail: str, errors: dict[str, str] | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(detail, code=code)
        self.errors = errors or {}


class Unauthenticated(DomainError):
    """No token, a bad token or an expired token."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller's role may not use this route."""

    code = "forbidden"


class PayloadTooLarge(DomainError):
    """An upload is over the size limit."""

    code = "too_large"


class QuotaExceeded(DomainError):
    """The caller holds as much unused storage as it may."""

    code = "upload_quota_exceeded"


class UnsupportedMediaType(DomainError):
    """An upload is not one of the accepted file types."""

    code = "unsupported_media_type"
