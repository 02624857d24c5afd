"""Every timestamp a response carries is in China time, whichever way its field is typed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec

from backend.http.dto import Dto
from domain.calendar import CST

UTC_NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


class Inner(Dto, frozen=True):
    at: datetime


class Answer(Dto, frozen=True):
    plain: datetime
    optional: datetime | None
    annotated: Annotated[datetime, msgspec.Meta(tz=True)]
    loose: Any
    day: date
    text: str
    inner: list[Inner]


def test_timestamps_in_any_field_shape_come_out_in_china_time() -> None:
    raw = msgspec.json.encode(
        {
            "plain": UTC_NOON,
            "optional": UTC_NOON,
            "annotated": UTC_NOON,
            "loose": UTC_NOON,
            "day": date(2026, 12, 1),
            "text": "x",
            "inner": [{"at": UTC_NOON}],
        }
    )
    answer = msgspec.json.decode(raw, type=Answer)

    for value in (answer.plain, answer.optional, answer.annotated, answer.inner[0].at):
        assert isinstance(value, datetime)
        assert value.utcoffset() == CST.utcoffset(None)
        assert value == UTC_NOON
    assert answer.loose == "2026-12-01T04:00:00Z"  # JSON into Any stays text: nothing to convert
    assert answer.day == date(2026, 12, 1)
    built = Answer(UTC_NOON, None, UTC_NOON, UTC_NOON, date(2026, 12, 1), "x", [])
    assert built.loose.utcoffset() == CST.utcoffset(None)  # built in code: converted too
