"""The rows of ``application_view`` as the progress projection writes them: one statement a batch.

The narrow columns go as one array per column in PostgreSQL's binary format (uuids, moments,
days and numbers as they are), so the server parses none of them: sent as one JSON array of
rows (``jsonb_populate_recordset``), every row was parsed into a jsonb tree and then each
timestamp, date, uuid and array read back from its text, a fifth of the server's time in a
rebuild. The two documents go beside them as text, parsed once, each into its own column type:
``detail`` checked into ``json`` (kept as text), ``work`` into jsonb. Rows that exist are
updated, the others inserted, each once; the columns written only at creation are left alone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import msgspec

from projections.texts import status_text

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

    from domain.application import Application
    from projections.progress_view import ProgressView

__all__ = ["UPSERT", "columns"]

CST = timezone(timedelta(hours=8))

# what a row is created with (written once, at submission), with the type it is sent as
_CREATED = (
    ("id", "uuid"),
    ("number", "text"),
    ("citizen_id", "uuid"),
    ("service_code", "text"),
    ("service_name", "text"),
    ("submitted_at", "timestamptz"),
    ("agent_id", "uuid"),  # 代办: the agent who submitted for the applicant, and under which
    ("authorisation_id", "uuid"),  # authorisation
)
# what changes as the case moves (rewritten with every change of the row); "literal": a text
# array sent as its literal (arrays of arrays must be rectangular, these are not)
_CHANGING = (
    ("status", "text"),
    ("status_text", "text"),
    ("queue", "text"),
    ("pending_departments", "literal"),
    ("departments", "literal"),
    ("lead_department", "text"),
    ("department", "text"),
    ("updated_at", "timestamptz"),
    ("deadline", "date"),
    ("legal_deadline", "date"),
    ("accepted_at", "timestamptz"),
    ("finished_at", "timestamptz"),
    ("last_action_at", "timestamptz"),
    ("supplement_rounds", "int4"),
    ("deferred_due", "date"),
    ("deferred_overdue", "bool"),
    ("warnings", "literal"),
    ("escalations", "int4"),
    ("rating", "int4"),
    ("zero_visit", "bool"),
    ("payment_problem", "text"),
    ("delivery_failed", "bool"),
    ("materials_given", "int4"),
    ("materials_by_certificate", "int4"),
    ("version", "int4"),
    ("detail", "json"),
    ("work", "jsonb"),
)
_ALL = (*_CREATED, *_CHANGING)
_SENT_AS = {"literal": "text", "json": "text", "jsonb": "text"}
_READ_AS = {"literal": "text[]", "json": "json", "jsonb": "jsonb"}


def _select(name: str, kind: str) -> str:
    read = _READ_AS.get(kind)
    return f"r.{name}::{read}" if read else f"r.{name}"


_names = ", ".join(name for name, _ in _ALL)
UPSERT = (
    f"INSERT INTO application_view ({_names})"  # noqa: S608 - built from the constants above
    f" SELECT {', '.join(_select(name, kind) for name, kind in _ALL)}"
    " FROM unnest("
    + ", ".join(f"${i}::{_SENT_AS.get(kind, kind)}[]" for i, (_, kind) in enumerate(_ALL, 1))
    + f") AS r ({_names})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in _CHANGING)
)
_encode = msgspec.json.Encoder().encode


def _literal(values: Iterable[str]) -> str:
    """A text array's literal: every element quoted, its quotes and backslashes escaped."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _row(key: UUID, view: ProgressView, submitted: Application.Submitted | None) -> tuple[Any, ...]:
    """The row of ``view``, in the order of ``_ALL`` (``submitted``: the event of a new row;
    the columns written only at creation come from it)."""
    case, info, detail = view.case, view.info, view.detail
    agent = submitted.submitted_by if submitted is not None else None
    accepted = case.accepted_on
    return (
        key,
        detail["number"],
        info["citizenId"],
        detail["serviceCode"],
        detail["serviceName"],
        datetime.fromisoformat(detail["submittedAt"]),
        str(agent["id"]) if agent else None,
        submitted.authorisation_id if submitted is not None else None,
        case.status,
        status_text(case),
        case.queue,
        _literal(case.pending_departments),
        _literal(case.reached_departments),  # who may see the row (queries use it)
        case.lead,
        case.lead,
        view.updated_at,
        _day(case.deadline),
        _day(case.legal_deadline),
        # the day of acceptance begins in China, whatever the session's time zone
        datetime.combine(date.fromisoformat(accepted), datetime.min.time(), CST)
        if accepted
        else None,
        case.finished_at,
        datetime.fromisoformat(info["lastActionAt"]),
        case.supplement_rounds,
        _day(case.deferred_due),
        case.has_overdue_deferred,
        _literal(case.warnings),
        case.escalations,
        case.rating,
        bool(info["zeroVisit"]),
        case.payment_problem,
        case.delivery_failed,
        len(case.materials),
        sum(1 for m in case.materials if m.get("certificateId")),
        view.version,
        _encode(detail).decode(),
        _encode(view.work()).decode(),
    )


def columns(
    written: Iterable[UUID],
    views: dict[UUID, ProgressView],
    created: dict[UUID, Application.Submitted],
) -> list[tuple[Any, ...]]:
    """The arguments of ``UPSERT`` for these rows (at least one): one array per column."""
    return list(zip(*(_row(key, views[key], created.get(key)) for key in written), strict=True))
