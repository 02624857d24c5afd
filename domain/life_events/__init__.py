"""Life events (一件事一次办) and bundles: see ``definition``, ``plan``, ``aggregate``,
``progress``."""

from domain.life_events.aggregate import (
    Bundle,
    BundleItem,
    LifeEvent,
    ReadyItem,
    life_event_id,
    refusal_text,
)
from domain.life_events.definition import (
    BundledItem,
    LifeEventDefinition,
    MergedField,
    MergedMaterial,
    Question,
    parse_life_event,
)
from domain.life_events.plan import ItemPlan, check_answers, plan_bundle
from domain.life_events.progress import BundleState, ItemState, bundle_state

__all__ = [
    "Bundle",
    "BundleItem",
    "BundleState",
    "BundledItem",
    "ItemPlan",
    "ItemState",
    "LifeEvent",
    "LifeEventDefinition",
    "MergedField",
    "MergedMaterial",
    "Question",
    "ReadyItem",
    "bundle_state",
    "check_answers",
    "life_event_id",
    "parse_life_event",
    "plan_bundle",
    "refusal_text",
]
