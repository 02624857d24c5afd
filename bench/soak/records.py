"""What the soak's load records: the base rates, each request, each acknowledged write, each
case it follows."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RATES", "Ack", "Call", "Case"]

# operations per second at SOAK_RATE=1 (each is one to fourteen requests)
RATES: dict[str, float] = {
    "login": 1.0,  # a new citizen logs in and subscribes to messages
    "submit": 2.0,  # upload a scan, apply (失业保险金申领)
    "staff": 4.0,  # accept, review or issue the next waiting case
    "progress": 8.0,  # a citizen reads a case (?after= its last write)
    "pay": 0.25,  # 居民身份证换领 applied, accepted, approved, ordered, paid at the fake
    "book": 0.3,  # an appointment at a hall
    "food": 0.1,  # 食品经营许可 by courier: six scans, six staff steps, booked at the fake SF
    "courier": 0.8,  # the next scan of an open delivery (SF's push, or the courier's app)
}


@dataclass
class Call:
    """One request: its kind, when (seconds into the run), how long, what came back."""

    kind: str
    at: float
    seconds: float
    status: int
    code: str | None = None
    retry_after: bool = False


@dataclass
class Ack:
    """A write the API acknowledged (``at``: seconds into the run)."""

    kind: str
    aggregate_id: str
    position: int
    status: str
    at: float


@dataclass
class Case:
    app_id: str
    citizen: dict[str, str]
    status: str
    position: int
    uncertain: bool = False  # a write on it went unanswered: read it before acting again
