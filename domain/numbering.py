"""Human-friendly application numbers (办件编号), e.g. ``20261124-XK00123-000042``."""

from __future__ import annotations

from datetime import date

__all__ = ["application_number", "compact_code", "consultation_number"]


def compact_code(service_code: str) -> str:
    """The part of a service code a number shows: ``XK-00123-000`` -> ``XK00123``."""
    return service_code.replace("-", "")[:7]


def application_number(day: date, service_code: str, sequence: int) -> str:
    """Day of submission, compact service code, and the day's sequence for that service."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{day:%Y%m%d}-{compact_code(service_code)}-{sequence:06d}"


def consultation_number(day: date, sequence: int) -> str:
    """A consultation (咨询) number: ``ZX``, the day it was asked, the day's sequence."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"ZX{day:%Y%m%d}-{sequence:06d}"
