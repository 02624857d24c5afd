"""Rules that span aggregates: what one fact of a case implies for another aggregate.

Command handlers load the aggregates, call one of these and save what changed together; the
rule itself is stated once, here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.certificates import Certificate, certificate_id
from domain.certificates.rules import parse_certificate_id
from domain.certificates.terms import CertificateTerms, terms_of
from domain.personal import seal
from domain.rectification import Rectification

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from domain.actors import Actor
    from domain.application import Application, MaterialRef
    from domain.life_events import Bundle, ReadyItem
    from domain.payment import Payment, PaymentNotice

__all__ = [
    "BAD_RATING",
    "bundle_result_issued",
    "evaluate",
    "payment_notice_problem",
    "record_certificate_uses",
    "result_certificate",
    "result_certificate_terms",
    "withdraw",
]

# 好差评: a rating this low or lower (1 非常不满意, 2 不满意) opens a rectification (整改).
BAD_RATING = 2


def evaluate(
    application: Application, *, actor: Actor, rating: int, comment: str, at: datetime
) -> Rectification | None:
    """The applicant rates the case; a bad rating opens its rectification at once."""
    application.evaluate(actor=actor, rating=rating, comment=comment, at=at)
    if rating > BAD_RATING:
        return None
    return Rectification.open(
        application_id=application.id,
        number=application.number,
        rating=rating,
        comment=seal(application.citizen_id, comment),
        departments=list(application.departments),
        at=at,
    )


def withdraw(
    application: Application,
    payment: Payment | None,
    *,
    actor: Actor,
    reason: str,
    at: datetime,
) -> bool:
    """The applicant withdraws; a fee paid for a result not yet issued is refunded (the refund
    is requested on ``payment``). True when a refund was requested."""
    refund = payment is not None and application.paid_and_not_issued
    application.withdraw(actor=actor, reason=reason, at=at)
    if refund and payment is not None:
        words = f"申请人撤回申请：{reason}" if reason.strip() else "申请人撤回申请"
        payment.request_refund(actor=actor, reason=words, at=at)
    return refund


def payment_notice_problem(
    notice: PaymentNotice, payment: Payment, *, appid: str, mch_id: str
) -> str | None:
    """Why a verified WeChat Pay notice cannot be booked on ``payment`` as it is: another
    merchant, or another amount (None: it can). The citizen-facing words are the record."""
    if notice.appid != appid or notice.mch_id != mch_id:
        return f"商户信息不符（appid {notice.appid[:32]}，商户号 {notice.mch_id[:32]}）"
    if notice.amount != payment.amount:
        return f"支付金额{notice.amount}分与应缴{payment.amount}分不符"
    return None


def record_certificate_uses(
    application: Application,
    refs: Iterable[MaterialRef],
    certificates: Mapping[uuid.UUID, Certificate],
    *,
    actor: Actor,
    at: datetime,
) -> list[Certificate]:
    """用证留痕: every certificate that stands for one of ``refs`` (just handed in with
    ``application``) records the use: which application, which department, for what, who. The
    caller checked the refs (``certificates.rules.certificate_errors``); returns the changed."""
    service = application.service
    used: dict[uuid.UUID, Certificate] = {}
    for ref in refs:
        found = parse_certificate_id(ref.certificate_id) if ref.certificate_id else None
        certificate = certificates.get(found) if found is not None else None
        if certificate is None:
            continue
        material = service.material(ref.material_id)
        certificate.record_use(
            application_id=application.id,
            application_number=application.number,
            department=application.lead,
            purpose=f"{service.name}：{material.name if material else ref.material_id}",
            actor=actor,
            at=at,
        )
        used[certificate.id] = certificate
    return list(used.values())


def result_certificate_terms(application: Application, at: datetime) -> CertificateTerms | None:
    """What the certificate an application's result becomes will say (None: its item issues
    none, as pinned at submission, or no result was issued): the type the item declares, the
    result's document number, the lead department, valid from the day of issue."""
    issue = application.service.issues_certificate
    if issue is None or application.document_no is None:
        return None
    return terms_of(
        issue, number=application.document_no, issuer=application.lead, issued_on=at.date()
    )


def result_certificate(
    application: Application,
    terms: CertificateTerms,
    *,
    holder_name: str | None,
    holder_id_number: str | None,
    file_id: uuid.UUID,
    sha256: str,
    at: datetime,
) -> Certificate:
    """出证即发照: the result of ``application`` becomes an e-certificate of its applicant
    (one per application: issuing again finds the same certificate id)."""
    return Certificate.issue(
        id=certificate_id("onewindow", terms.type_code, str(application.id)),
        holder_id=application.citizen_id,
        holder_name=holder_name,
        holder_id_number=holder_id_number,
        type_code=terms.type_code,
        type_name=terms.type_name,
        number=terms.number,
        issuer=terms.issuer,
        issuer_code=terms.issuer_code,
        issued_on=terms.issued_on,
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        source="onewindow",
        file_id=file_id,
        sha256=sha256,
        application_id=application.id,
        at=at,
    )


def bundle_result_issued(
    bundle: Bundle, application: Application, *, at: datetime
) -> list[ReadyItem]:
    """一件事: the result of ``application``, an item of ``bundle``, is issued. The bundle records
    it with the e-certificate it became (出证即发照: the id ``result_certificate`` gives it),
    and answers the items that waited for it and now wait for nothing: submitted with that
    certificate standing for their material of its type, the citizen doing nothing."""
    item = bundle.item_of(application.id)
    if item is None or application.document_no is None:
        return []
    issue = application.service.issues_certificate
    found = (
        str(certificate_id("onewindow", issue.type_code, str(application.id)))
        if issue is not None
        else None
    )
    bundle.record_result(item.service_code, found, at=at)
    return bundle.ready_items()
