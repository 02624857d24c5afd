"""One case as the console shows it, put together from the application itself (fresh, not
the read model) and its history. Personal data is not part of it: see ``personal_of``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from backend.back_office.dto import HistoryEntry
from backend.back_office.queries import history
from backend.bundles.dto import BundleView
from backend.bundles.queries import bundle_of_application
from backend.certificates.dto import CaseCertificate
from backend.certificates.queries import case_certificates
from backend.deliveries.queries import DeliveryRecord, delivery_of
from backend.files.queries import file_types
from backend.supervision.dto import RectificationItem
from backend.supervision.queries import list_rectifications
from domain.application import Application, DeadlineState
from domain.application.access import may_see_personal_data
from domain.application.actions import offered_actions
from domain.application.status import FORCEABLE
from domain.application.values import material_files
from domain.calendar import CST
from domain.personal import ERASED_TEXT

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["CaseView", "case_view", "personal_of"]

# the words of an event worth showing in the timeline (never the form or the address)
_DETAIL_FIELDS = (
    "department",
    "decision",
    "opinion",
    "reason",
    "note",
    "text",
    "document_no",
    "to_department",
    "level",
    "deadline",
    "company",
    "waybill_no",
    "step",
    "location",
    "signed_by",
    "rating",
    "comment",
    "to_status",
    "amount",
)


@dataclass
class Material:
    id: str
    name: str
    required: bool
    deferrable: bool
    file_id: str | None = None  # the first page
    certificate_id: str | None = None
    content_type: str | None = None
    more_files: list[str] = field(default_factory=list)  # the other pages, in order
    due: str | None = None
    overdue: bool = False
    missing: bool = False


@dataclass
class Decision:
    department: str
    decision: str | None = None
    opinion: str = ""
    by: str = ""
    at: datetime | None = None


@dataclass
class Step:
    at: datetime
    type: str
    actor: dict[str, Any] | None
    details: list[tuple[str, str]]


@dataclass
class CaseView:
    id: UUID
    number: str
    service_code: str
    service_name: str
    service_version: int
    status: str
    lead: str
    departments: tuple[str, ...]
    pending: tuple[str, ...]
    submitted_at: datetime
    deadline: str | None
    legal_deadline: str | None
    days_left: int | None
    deadline_state: DeadlineState | None
    warnings: list[str]
    escalations: int
    delivery_method: str
    fee: int
    paid: int
    refunded: int
    payment_problem: str | None
    document_no: str | None
    rating: int | None
    supplement_note: str
    agent: str | None  # 代办: who submitted for the applicant
    actions: frozenset[str]
    may_reveal: bool
    materials: list[Material] = field(default_factory=list)
    stages: list[list[Decision]] = field(default_factory=list)
    current_stage: int = 0
    timeline: list[Step] = field(default_factory=list)
    delivery: DeliveryRecord | None = None
    rectification: RectificationItem | None = None
    evaluation_comment: str = ""
    # material id -> the e-certificate standing for it, verified again for this page
    certificates: dict[str, CaseCertificate] = field(default_factory=dict)
    bundle: BundleView | None = None  # the 一件事 the case is an item of
    forceable: tuple[str, ...] = tuple(sorted(FORCEABLE))
    # 预审: the ready pre-review it was submitted from ({id, number, round, unchanged})
    pre_review: dict[str, Any] | None = None


def _details(entry: HistoryEntry) -> list[tuple[str, str]]:
    if entry.type == "Submitted":
        return []
    data = entry.data
    found = [(k, str(data[k])) for k in _DETAIL_FIELDS if data.get(k) not in (None, "", [])]
    if data.get("missing"):
        found.append(("missing", "、".join(map(str, data["missing"]))))
    return found


def _stages(application: Application, entries: list[HistoryEntry]) -> list[list[Decision]]:
    """Every stage with each department's decision and opinion (the current stage so far)."""
    stages = [[Decision(d) for d in stage] for stage in application.stages]
    stage = 0
    for entry in entries:
        if entry.type == "StageCompleted":
            stage = entry.data.get("stage", stage) + 1
        elif entry.type == "Reviewed" and stage < len(stages):
            for decision in stages[stage]:
                if decision.department == entry.data["department"]:
                    decision.decision = entry.data["decision"]
                    decision.opinion = entry.data.get("opinion", "")
                    decision.by = (entry.actor or {}).get("name") or ""
                    decision.at = entry.at
    return stages


def _materials(application: Application, types: dict[UUID, str]) -> list[Material]:
    given = {m["materialId"]: m for m in application.materials}
    result = []
    for pinned in application.service.materials:
        ref = given.get(pinned.id, {})
        files = material_files(ref)
        file_id = files[0] if files else None
        due = application.deferred.get(pinned.id)
        result.append(
            Material(
                id=pinned.id,
                name=pinned.name,
                required=pinned.required,
                deferrable=pinned.deferrable,
                file_id=str(file_id) if file_id else None,
                certificate_id=ref.get("certificateId"),
                content_type=types.get(UUID(str(file_id))) if file_id else None,
                more_files=files[1:],
                due=due,
                overdue=pinned.id in application.deferred_overdue and due is not None,
                missing=pinned.id in application.missing,
            )
        )
    return result


async def case_view(
    services: Services, staff: Principal, application_id: UUID, after: int | None = None
) -> CaseView:
    """The case for ``staff`` (404 when it is not theirs to see, as in the API); ``after``:
    the position of the action just taken, for the parts read from read models."""
    application = await services.repository.get(Application, application_id)
    actor = staff.actor()
    application.ensure_visible_to(actor)
    entries = await history(services, staff, application_id)
    today = services.clock().astimezone(CST).date()
    file_ids = [UUID(f) for m in application.materials for f in material_files(m)]
    service = application.service
    evaluated = next((e for e in reversed(entries) if e.type == "Evaluated"), None)
    supplement = next((e for e in reversed(entries) if e.type == "SupplementRequested"), None)
    rectifications = await list_rectifications(services, application_id=application_id, after=after)
    submitted = entries[0].at if entries else datetime.now(CST)
    return CaseView(
        id=application.id,
        number=application.number,
        service_code=service.code,
        service_name=service.name,
        service_version=service.version,
        status=application.status,
        lead=application.lead,
        departments=application.departments,
        pending=application.pending_departments,
        submitted_at=submitted,
        deadline=application.deadline,
        legal_deadline=application.legal_deadline,
        days_left=application.working_days_left(today, services.calendar),
        deadline_state=application.deadline_state(today, services.calendar),
        warnings=list(application.warnings),
        escalations=application.escalations,
        delivery_method=application.delivery.method,
        fee=application.fee,
        paid=application.paid_amount,
        refunded=application.refunded_amount,
        payment_problem=application.payment_problem,
        document_no=application.document_no,
        rating=application.rating,
        supplement_note=supplement.data.get("note", "") if supplement else "",
        agent=f"代办: {application.agent_name or '代办人'}" if application.agent_id else None,
        actions=offered_actions(actor, application),
        may_reveal=may_see_personal_data(actor, application),
        materials=_materials(application, await file_types(services, file_ids)),
        stages=_stages(application, entries),
        current_stage=application.stage,
        timeline=[Step(e.at, e.type, e.actor, _details(e)) for e in entries],
        delivery=await delivery_of(services, application_id, after),
        rectification=rectifications[0] if rectifications else None,
        evaluation_comment=evaluated.data.get("comment", "") if evaluated else "",
        certificates={
            c.material_id: c for c in await case_certificates(services, staff, application_id)
        },
        pre_review=application.pre_review,
        bundle=await bundle_of_application(services, application_id),
    )


def personal_of(application: Application) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """The applicant's personal data in clear ("[已删除]" once erased) and the field names."""
    shown: list[tuple[str, str]] = []
    form = application.form.reveal({})
    if application.form.erased:
        shown.append(("form", ERASED_TEXT))
    for key, value in sorted(form.items()):
        shown.append((f"form.{key}", str(value)))
    fields = ["form"]
    if application.delivery.method == "courier":
        address = application.delivery.address
        fields.append("delivery.address")
        if address is None:
            shown.append(("delivery.address", ERASED_TEXT))
        else:
            shown.append(("delivery.name", address.name))
            shown.append(("delivery.phone", address.phone))
            place = f"{address.province}{address.city}{address.district}{address.detail}"
            shown.append(("delivery.address", place))
    return shown, tuple(fields)


def today_in_china(services: Services) -> date:
    """Today's date where the cases are."""
    return services.clock().astimezone(CST).date()
