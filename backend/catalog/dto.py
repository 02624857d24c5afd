"""The catalogue as the API returns it (camelCase JSON)."""

from __future__ import annotations

from backend.http.dto import Dto
from domain.catalog import Situation

__all__ = ["ServiceGuide", "ServiceSummary"]


class ServiceSummary(Dto, frozen=True):
    code: str
    name: str
    department: str
    kind: str
    promised_days: int
    legal_days: int
    fee: int
    online: bool
    max_visits: int


class ServiceGuide(ServiceSummary, frozen=True):
    situations: tuple[Situation, ...]
    stages: tuple[tuple[str, ...], ...]
    delivery_options: tuple[str, ...]
    needs_appointment: bool
    description: str = ""
    pickup_place: str = ""
