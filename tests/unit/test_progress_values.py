"""The enums of the progress answer are the values its read model writes."""

from __future__ import annotations

from typing import get_args

from projections import progress_view
from projections.progress_values import TimelineType


def test_every_timeline_entry_type_is_in_the_enum_and_no_other() -> None:
    # the handlers that write a timeline entry (the silent ones only move the case state)
    case = {
        kind.__name__
        for kind, handler in progress_view._CASE_HANDLERS.items()
        if handler is not progress_view._silent
    }
    bookings = {kind.__name__ for kind in progress_view._BOOKING_HANDLERS}
    assert set(get_args(TimelineType)) == {"Submitted"} | case | bookings
