"""The rows of ``application_view`` as the progress projection writes them: one statement a chunk.

Each column goes as one array (``unnest``), in the form that costs the client least, since the
client is what limits a rebuild (the server has a core to itself and time to spare):

- uuids, numbers and flags in PostgreSQL's binary format, as they are;
- moments and days as the ISO text the views already hold, cast by the server (the client's
  binary timestamp encoder was a quarter of all its encoding);
- the two documents as the UTF-8 bytes the JSON encoder gives, turned into text by the server
  and parsed once, each into its own column type: ``detail`` checked into ``json`` (kept as
  text), ``work`` into jsonb (a ``str`` in between was decoded and encoded again for nothing);
- text arrays as their literal (arrays of arrays must be rectangular, these are not).

Sent as one JSON array of rows (``jsonb_populate_recordset``, before), every row was parsed
into a jsonb tree and then each field read back from its text. Rows that exist are updated,
the others inserted, each once; the columns written only at creation are left alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from projections.texts import status_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from uuid import UUID

    from domain.application import Application
    from projections.progress_view import ProgressView

__all__ = ["UPSERT", "columns", "row"]

# what a row is created with (written once, at submission), with the type it is sent as
_CREATED = (
    ("id", "uuid"),
    ("number", "text"),
    ("citizen_id", "uuid"),
    ("service_code", "text"),
    ("service_name", "text"),
    ("submitted_at", "moment"),
    ("agent_id", "uuid"),  # 代办: the agent who submitted for the applicant, and under which
    ("authorisation_id", "uuid"),  # authorisation
)
# what changes as the case moves (rewritten with every change of the row)
_CHANGING = (
    ("status", "text"),
    ("status_text", "text"),
    ("queue", "text"),
    ("pending_departments", "literal"),
    ("departments", "literal"),
    ("lead_department", "text"),
    ("department", "text"),
    ("updated_at", "moment"),
    ("deadline", "day"),
    ("legal_deadline", "day"),
    ("accepted_at", "moment"),
    ("finished_at", "moment"),
    ("last_action_at", "moment"),
    ("supplement_rounds", "int4"),
    ("deferred_due", "day"),
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
# the kinds not sent as the column's own type: what they are sent as, and how they are read
_SENT_AS = {"literal": "text", "moment": "text", "day": "text", "json": "bytea", "jsonb": "bytea"}
_READ_AS = {
    "literal": "r.{}::text[]",
    "moment": "r.{}::timestamptz",
    "day": "r.{}::date",
    "json": "convert_from(r.{}, 'UTF8')::json",
    "jsonb": "convert_from(r.{}, 'UTF8')::jsonb",
}


def _select(name: str, kind: str) -> str:
    return _READ_AS.get(kind, "r.{}").format(name)


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


def row(key: UUID, view: ProgressView, submitted: Application.Submitted | None) -> tuple[Any, ...]:
    """The row of ``view``, in the order of ``_ALL`` (``submitted``: the event of a new row;
    the columns written only at creation come from it)."""
    case, info, detail = view.case, view.info, view.detail
    agent = submitted.submitted_by if submitted is not None else None
    accepted, finished = case.accepted_on, case.finished_at
    return (
        key,
        detail["number"],
        info["citizenId"],
        detail["serviceCode"],
        detail["serviceName"],
        detail["submittedAt"],
        str(agent["id"]) if agent else None,
        submitted.authorisation_id if submitted is not None else None,
        case.status,
        status_text(case),
        case.queue,
        _literal(case.pending_departments),
        _literal(case.reached_departments),  # who may see the row (queries use it)
        case.lead,
        case.lead,
        view.updated_at.isoformat(),
        case.deadline,
        case.legal_deadline,
        # the day of acceptance begins in China, whatever the session's time zone
        f"{accepted}T00:00:00+08:00" if accepted else None,
        finished.isoformat() if finished is not None else None,
        info["lastActionAt"],
        case.supplement_rounds,
        case.deferred_due,
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
        _encode(detail),
        _encode(view.work()),
    )


def columns(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The arguments of ``UPSERT`` for these rows (at least one): one array per column."""
    return list(zip(*rows, strict=True))
