"""Which WeChat subscribe-message template carries each event, and how its fields are filled.

An entry: ``{"event": "Accepted", "templateId": "...", "title": "办件进度提醒",
"longTerm": false, "fields": {"character_string1": "number", "thing2": "service", ...}}``.
Field keys are the template's own (their prefix is the WeChat value type, see
:mod:`integrations.wechat.subscribe_fields`); values name a variable of
:data:`projections.notification_messages.VARIABLES`. Several events may share a template; a
one-time template's quota is then shared too.

:data:`DEFAULT_TEMPLATES` (made-up sandbox ids) is used unless ``ONEWINDOW_NOTIFICATION_TEMPLATES``
names a JSON file (a list of entries, or ``{"templates": [...]}``) that replaces it entirely:
the template ids of a real mini-program come from its own WeChat admin console. Events without
an entry notify nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import msgspec

from integrations.wechat.subscribe_fields import fit, kind_of
from projections.notification_messages import MESSAGES, VARIABLES

__all__ = [
    "DEFAULT_STEPS",
    "DEFAULT_TEMPLATES",
    "MAX_PER_REQUEST",
    "STEPS",
    "TemplateConfigError",
    "TemplateSpec",
    "Templates",
    "load_templates",
]


class TemplateConfigError(ValueError):
    """The template configuration cannot be used; raised at start, never while sending."""


# The citizen's steps at which the mini-program calls ``wx.requestSubscribeMessage`` (it may
# only do so on a tap, and asks for at most MAX_PER_REQUEST templates at a time).
STEPS = ("submit", "pay", "issue", "booking", "withdraw", "consult")
MAX_PER_REQUEST = 3
# When to ask for each event's template: just before the step after which it happens (a paid
# item's result and courier messages are asked for at payment, a free item's when it is
# approved and the app shows the result is coming: "issue").
DEFAULT_STEPS: dict[str, tuple[str, ...]] = {
    "Accepted": ("submit",),
    "SupplementRequested": ("submit",),
    "Rejected": ("submit",),
    "Approved": ("submit",),
    "Denied": ("submit",),
    "Suspended": ("submit",),
    "Resumed": ("submit",),
    "Paid": ("pay",),
    "ResultIssued": ("pay", "issue"),
    "DeliveryDispatched": ("pay", "issue"),
    "Delivered": ("pay", "issue"),
    "DeliveryFailed": ("pay", "issue"),
    "Refunded": ("withdraw",),
    "AppointmentBooked": ("booking",),
    "AppointmentCancelled": ("booking",),
    "AppointmentReminder": ("booking",),
    "Replied": ("consult",),  # a consultation answered: asked for when asking
}


class TemplateSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """One event's template; ``steps`` (of :data:`STEPS`) overrides :data:`DEFAULT_STEPS`."""

    event: str
    template_id: str
    title: str
    fields: dict[str, str]
    long_term: bool = False
    steps: tuple[str, ...] = ()

    @property
    def request_at(self) -> tuple[str, ...]:
        """The steps at which the app asks the citizen for this template."""
        return self.steps or DEFAULT_STEPS.get(self.event, ())

    def render(self, values: Mapping[str, object]) -> dict[str, str]:
        """The template's data, each value fitted to its field's type."""
        return {key: fit(kind_of(key), values.get(name)) for key, name in self.fields.items()}


_PROGRESS = {
    "character_string1": "number",
    "thing2": "service",
    "phrase3": "status",
    "time4": "time",
    "thing5": "note",
}
_OUTCOME = {
    "character_string1": "number",
    "thing2": "service",
    "phrase3": "status",
    "thing4": "note",
    "time5": "time",
}
_APPOINTMENT = {"phrase1": "status", "thing2": "place", "thing3": "note", "time4": "time"}
# the waybill number in a character_string field: a thing field (20 characters) cut it short
_DELIVERY = {
    "character_string1": "number",
    "thing2": "service",
    "phrase3": "status",
    "character_string4": "waybill",
    "time5": "time",
}
_MONEY = {
    "character_string1": "number",
    "thing2": "service",
    "amount3": "amount",
    "time4": "time",
}


def _spec(
    event: str, template_id: str, title: str, fields: dict[str, str], long_term: bool = False
) -> TemplateSpec:
    return TemplateSpec(event, f"sandbox-tmpl-{template_id}", title, dict(fields), long_term)


DEFAULT_TEMPLATES: tuple[TemplateSpec, ...] = (
    _spec("Accepted", "progress", "办件进度提醒", _PROGRESS),
    _spec("Suspended", "progress", "办件进度提醒", _PROGRESS),
    _spec("Resumed", "progress", "办件进度提醒", _PROGRESS),
    _spec(
        "SupplementRequested",
        "supplement",
        "材料补正提醒",
        {"character_string1": "number", "thing2": "service", "thing3": "note", "time4": "time"},
    ),
    _spec("Rejected", "decision", "审批结果通知", _OUTCOME),
    _spec("Approved", "decision", "审批结果通知", _OUTCOME),
    _spec("Denied", "decision", "审批结果通知", _OUTCOME),
    _spec("ResultIssued", "result", "办理结果通知", _OUTCOME),
    _spec("Paid", "payment", "缴费成功通知", _MONEY),
    _spec("Refunded", "refund", "退款通知", {**_MONEY, "thing5": "note"}),
    _spec("DeliveryDispatched", "delivery", "邮寄进度通知", _DELIVERY),
    _spec("Delivered", "delivery", "邮寄进度通知", _DELIVERY),
    _spec("DeliveryFailed", "delivery", "邮寄进度通知", _DELIVERY),
    _spec("AppointmentBooked", "appointment", "预约结果通知", _APPOINTMENT),
    _spec("AppointmentCancelled", "appointment", "预约结果通知", _APPOINTMENT),
    _spec(
        "Replied",
        "consultation",
        "咨询回复通知",
        {"character_string1": "number", "thing2": "service", "thing3": "note", "time4": "time"},
    ),
    # 政务民生 long-term template: a reminder needs no fresh subscription
    _spec("AppointmentReminder", "appointment-reminder", "预约办理提醒", _APPOINTMENT, True),
)


class Templates:
    """A checked template configuration."""

    def __init__(self, specs: Iterable[TemplateSpec]) -> None:
        self._specs = tuple(specs)
        self._by_event: dict[str, TemplateSpec] = {}
        self._by_id: dict[str, TemplateSpec] = {}
        for spec in self._specs:
            _check(spec)
            if spec.event in self._by_event:
                raise TemplateConfigError(f"two templates for event {spec.event}")
            first = self._by_id.setdefault(spec.template_id, spec)
            if first.long_term != spec.long_term:
                raise TemplateConfigError(
                    f"template {spec.template_id} is long-term for one event and not another"
                )
            self._by_event[spec.event] = spec
        for step in STEPS:
            asked = self.for_step(step)
            if len(asked) > MAX_PER_REQUEST:
                ids = ", ".join(t.template_id for t in asked)
                raise TemplateConfigError(
                    f"step {step} would ask for {len(asked)} templates ({ids});"
                    f" wx.requestSubscribeMessage takes at most {MAX_PER_REQUEST}"
                )

    def __iter__(self) -> Iterator[TemplateSpec]:
        return iter(self._specs)

    def for_event(self, event_name: str) -> TemplateSpec | None:
        """The template of an event class name, if that event notifies."""
        return self._by_event.get(event_name)

    def for_step(self, step: str) -> list[TemplateSpec]:
        """The templates to ask for at ``step``, each once (its first entry), in order."""
        seen: dict[str, TemplateSpec] = {}
        for spec in self._specs:
            if step in spec.request_at:
                seen.setdefault(spec.template_id, spec)
        return list(seen.values())

    def steps_of(self, template_id: str) -> tuple[str, ...]:
        """Every step at which ``template_id`` is asked for (any of its events'), in order."""
        steps = {
            s for spec in self._specs if spec.template_id == template_id for s in spec.request_at
        }
        return tuple(s for s in STEPS if s in steps)

    def template(self, template_id: str) -> TemplateSpec | None:
        """The first entry that uses ``template_id``."""
        return self._by_id.get(template_id)

    @property
    def template_ids(self) -> list[str]:
        """Each template id once, in configuration order."""
        return list(self._by_id)


def _check(spec: TemplateSpec) -> None:
    where = f"template for {spec.event}"
    if spec.event not in MESSAGES:
        raise TemplateConfigError(f"{where}: no message is written for this event")
    if not spec.template_id.strip() or not spec.title.strip():
        raise TemplateConfigError(f"{where}: templateId and title are required")
    if not spec.fields:
        raise TemplateConfigError(f"{where}: no fields")
    unknown = [s for s in spec.steps if s not in STEPS]
    if unknown:
        raise TemplateConfigError(f"{where}: unknown steps {unknown}; choose of {list(STEPS)}")
    for key, name in spec.fields.items():
        try:
            kind_of(key)
        except ValueError as exc:
            raise TemplateConfigError(f"{where}: {exc}") from None
        if name not in VARIABLES:
            known = ", ".join(sorted(VARIABLES))
            raise TemplateConfigError(f"{where}: {key} shows {name!r}; choose one of {known}")


def load_templates(path: Path | None = None) -> Templates:
    """The configuration in ``path`` (JSON), or the built-in one."""
    if path is None:
        return Templates(DEFAULT_TEMPLATES)
    try:
        raw = msgspec.json.decode(path.read_bytes())
        entries = raw["templates"] if isinstance(raw, dict) and "templates" in raw else raw
        return Templates(msgspec.convert(entries, list[TemplateSpec]))
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise TemplateConfigError(f"notification templates {path}: {exc}") from exc
