"""Service halls (政务服务大厅) and their bookable slots.

Slots are not stored ahead of time: a hall's template says which slots a working day has, and a
slot's id is derived from hall, day and start (``city-center:2026-12-01:0900``), so any process
can name a slot without a generation job. The hall itself is a versioned aggregate, like a
service item.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.calendar import CST, WorkingCalendar
from domain.errors import ValidationFailed

__all__ = [
    "Hall",
    "HallDefinition",
    "SlotPeriod",
    "SlotTime",
    "hall_aggregate_id",
    "open_slots",
    "parse_hall",
    "parse_slot_id",
    "slot_id",
]

# Halls are in China: UTC+8 all year.


_NAMESPACE = uuid.UUID("0c0f3d55-6a57-4a8e-9d0e-68616c6c7331")
_HALL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SLOT_ID = re.compile(r"^([a-z0-9][a-z0-9-]{1,39}):(\d{4}-\d{2}-\d{2}):(\d{4})$")


def hall_aggregate_id(hall_id: str) -> uuid.UUID:
    """The aggregate id of a hall, derived from its id so that loading needs no lookup."""
    return uuid.uuid5(_NAMESPACE, f"hall:{hall_id}")


def slot_id(hall_id: str, day: date, start: time) -> str:
    """The public id of a slot: ``{hallId}:{YYYY-MM-DD}:{HHMM}``."""
    return f"{hall_id}:{day.isoformat()}:{start:%H%M}"


def parse_slot_id(value: str) -> tuple[str, date, time]:
    """Hall id, day and start time of a slot id; ``ValidationFailed`` when malformed."""
    match = _SLOT_ID.match(value)
    try:
        if match is None:
            raise ValueError(value)
        day = date.fromisoformat(match.group(2))
        start = time(int(match.group(3)[:2]), int(match.group(3)[2:]))
    except ValueError:
        raise ValidationFailed(
            "时段编号格式有误", {"slotId": "应为 大厅编号:YYYY-MM-DD:HHMM"}
        ) from None
    return match.group(1), day, start


def _clock_time(value: str) -> time:
    return time(int(value[:2]), int(value[3:]))


class _Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class SlotPeriod(_Camel, frozen=True):
    """Part of a day cut into slots of ``slot_minutes``; the last slot ends with the period."""

    start: str  # "09:00"
    end: str  # "12:00"
    capacity: int  # citizens per slot
    slot_minutes: int = 60


class SlotTime(msgspec.Struct, frozen=True):
    """One slot of one day: when it runs and how many citizens it takes."""

    hall_id: str
    day: date
    start: datetime
    end: datetime
    capacity: int

    @property
    def id(self) -> str:
        """The slot's public id."""
        return slot_id(self.hall_id, self.day, self.start.timetz())


class HallDefinition(_Camel, frozen=True):
    """A hall as published: where it is, which departments sit there, its slot template."""

    id: str
    name: str
    address: str
    departments: tuple[str, ...]
    opening_hours: str
    periods: tuple[SlotPeriod, ...]
    queue_prefix: str = "A"  # queue numbers look like A017
    description: str = ""

    def serves(self, department: str) -> bool:
        """Whether a window of ``department`` is in this hall."""
        return department in self.departments

    def admits(self, actor: Actor) -> bool:
        """Staff of a department served here, supervisors and admins manage its appointments."""
        return actor.oversees_all or (
            actor.department is not None and self.serves(actor.department)
        )

    def slots(self, day: date) -> tuple[SlotTime, ...]:
        """The slots the template gives ``day`` (whether the hall opens that day is separate)."""
        result: list[SlotTime] = []
        for period in self.periods:
            start = datetime.combine(day, _clock_time(period.start), CST)
            end_of_period = datetime.combine(day, _clock_time(period.end), CST)
            step = timedelta(minutes=period.slot_minutes)
            while start < end_of_period:
                end = min(start + step, end_of_period)
                result.append(SlotTime(self.id, day, start, end, period.capacity))
                start = end
        return tuple(result)

    def slot(self, day: date, start: time) -> SlotTime | None:
        """The template's slot of ``day`` starting at ``start``, if there is one."""
        return next((s for s in self.slots(day) if s.start.time() == start), None)


def open_slots(hall: HallDefinition, day: date, calendar: WorkingCalendar) -> tuple[SlotTime, ...]:
    """The slots of ``day``: none when it is not a working day (weekends, 法定节假日)."""
    return hall.slots(day) if calendar.is_working_day(day) else ()


def parse_hall(raw: Any) -> HallDefinition:
    """Validate a hall entry (camelCase mapping) and return its definition."""
    try:
        hall = msgspec.convert(raw, HallDefinition)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"大厅配置有误：{exc}") from exc
    errors: dict[str, str] = {}
    if not _HALL_ID.match(hall.id):
        errors["id"] = "2至40个小写字母、数字或连字符"
    if not hall.departments:
        errors["departments"] = "至少一个部门"
    if not re.fullmatch(r"[A-Z]", hall.queue_prefix):
        errors["queuePrefix"] = "一个大写字母"
    if not hall.periods:
        errors["periods"] = "至少一个时段"
    previous_end = ""
    for index, period in enumerate(hall.periods):
        field = f"periods[{index}]"
        if not (_HHMM.match(period.start) and _HHMM.match(period.end)):
            errors[field] = "开始和结束时间应为 HH:MM"
        elif not previous_end <= period.start < period.end:
            errors[field] = "时段应按时间先后排列，且结束晚于开始"
        elif period.capacity < 1 or period.slot_minutes < 5:
            errors[field] = "名额至少1个，每个时段至少5分钟"
        previous_end = period.end
    if errors:
        raise ValidationFailed(f"大厅{hall.id}配置有误", errors)
    return hall


class Hall(Aggregate):
    """A published hall; each revision of its definition is one event."""

    class Published(Aggregate.Created):
        definition: dict[str, Any]

    class Revised(Aggregate.Event):
        definition: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.definition_record = self.definition

    def __init__(self, definition: dict[str, Any]) -> None:
        self.definition_record = definition

    @classmethod
    def publish(cls, definition: HallDefinition, *, at: datetime) -> Hall:
        """Publish a new hall."""
        return cls._create(
            cls.Published,
            id=hall_aggregate_id(definition.id),
            timestamp=at,
            definition=msgspec.to_builtins(definition),
        )

    def revise(self, definition: HallDefinition, *, at: datetime) -> bool:
        """Record a changed definition; returns whether it changed."""
        if definition.id != self.definition.id:
            raise ValidationFailed("修订不能更改大厅编号", {"id": "不可更改"})
        raw = msgspec.to_builtins(definition)
        if raw == self.definition_record:
            return False
        self.trigger_event(self.Revised, timestamp=at, definition=raw)
        return True

    @property
    def definition(self) -> HallDefinition:
        """The current definition."""
        return msgspec.convert(self.definition_record, HallDefinition)
