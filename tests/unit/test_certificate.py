"""E-certificates: validity on a day, revocation, expiry, and which certificate may stand for
which material of whose application."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import msgspec
import pytest

from domain.actors import Actor
from domain.application.values import MaterialRef, PinnedMaterial
from domain.catalog import Material
from domain.certificates import Certificate, certificate_id
from domain.certificates.rules import certificate_errors, satisfying
from domain.errors import InvalidState, ValidationFailed

MARRIAGE = "11100000000013013K001"
LICENCE = "11100000MB0143129D001"
AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
ADMIN = Actor(id="admin", role="admin")


def certificate(
    holder: uuid.UUID | None = None,
    *,
    type_code: str = MARRIAGE,
    valid_from: date = date(2026, 3, 1),
    valid_until: date | None = None,
    number: str = "J310101-2026-000123",
) -> Certificate:
    return Certificate.issue(
        id=certificate_id("onewindow", type_code, number),
        holder_id=holder or uuid.uuid4(),
        holder_name="张三",
        holder_id_number="110101199003071234",
        type_code=type_code,
        type_name="结婚证" if type_code == MARRIAGE else "营业执照",
        number=number,
        issuer="市民政局",
        issuer_code="11310100MB2F45087A",
        issued_on=valid_from,
        valid_from=valid_from,
        valid_until=valid_until,
        source="onewindow",
        at=AT,
    )


def test_a_certificate_is_valid_until_its_last_day_and_expired_the_day_after() -> None:
    c = certificate(valid_until=date(2031, 2, 28))
    assert c.status_on(date(2031, 2, 28)) == "valid"
    assert c.status_on(date(2031, 3, 1)) == "expired"
    assert certificate().status_on(date(2099, 1, 1)) == "valid"  # indefinite


def test_the_watcher_records_expiry_once_and_only_when_it_is_past() -> None:
    c = certificate(valid_until=date(2026, 6, 30))
    assert not c.expire(today=date(2026, 6, 30), at=AT)
    assert c.expire(today=date(2026, 7, 1), at=AT)
    assert not c.expire(today=date(2026, 7, 2), at=AT)
    assert c.status == "expired"


def test_a_revoked_certificate_says_why_and_cannot_be_revoked_twice() -> None:
    c = certificate()
    c.revoke(actor=ADMIN, reason="登记错误，依法撤销", at=AT)
    assert c.status_on(date(2026, 3, 3)) == "revoked"
    assert "登记错误" in (c.problem_on(date(2026, 3, 3)) or "")
    with pytest.raises(InvalidState):
        c.revoke(actor=ADMIN, reason="again", at=AT)


def test_revocation_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed):
        certificate().revoke(actor=ADMIN, reason="  ", at=AT)


def test_a_use_is_recorded_only_while_the_certificate_is_valid() -> None:
    c = certificate()
    c.record_use(
        application_id=uuid.uuid4(),
        application_number="20260302-GG00901-000001",
        department="市卫生健康委员会",
        purpose="生育登记：结婚证",
        actor=Actor(id="x", role="citizen"),
        at=AT,
    )
    assert c.uses == 1
    c.revoke(actor=ADMIN, reason="撤销", at=AT)
    with pytest.raises(InvalidState):
        c.record_use(
            application_id=uuid.uuid4(),
            application_number="n",
            department="d",
            purpose="p",
            actor=Actor(id="x", role="citizen"),
            at=AT,
        )


def test_the_same_record_from_the_same_source_is_one_certificate() -> None:
    assert certificate_id("platform", LICENCE, "N1") == certificate_id("platform", LICENCE, "N1")
    assert certificate_id("platform", LICENCE, "N1") != certificate_id("onewindow", LICENCE, "N1")


def test_the_holders_name_and_id_number_are_the_holders_personal_data() -> None:
    holder = uuid.uuid4()
    c = certificate(holder)
    (issued,) = c.collect_events()
    assert issued.holder.owner == holder  # type: ignore[attr-defined]
    assert c.holder_id_number == "110101199003071234"


PROOF = PinnedMaterial(id="marriage-certificate", name="结婚证", certificate_types=(MARRIAGE,))
MATERIALS = {PROOF.id: PROOF}


def errors_for(c: Certificate | None, applicant: uuid.UUID, **kwargs: object) -> dict[str, str]:
    ref = MaterialRef(material_id=PROOF.id, certificate_id=str(c.id) if c else "not-an-id")
    found = {c.id: c} if c is not None else {}
    return certificate_errors(
        [ref],
        MATERIALS,
        found,
        applicant_id=applicant,
        day=date(2026, 3, 2),
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_citizen_uses_their_own_valid_certificate_of_an_accepted_type() -> None:
    holder = uuid.uuid4()
    assert errors_for(certificate(holder), holder) == {}


def test_another_citizens_certificate_and_an_unknown_id_read_the_same() -> None:
    c = certificate()
    mine = errors_for(c, uuid.uuid4())
    unknown = errors_for(None, uuid.uuid4())
    assert mine == unknown == {"materials[0].certificateId": "no such e-certificate of yours"}


def test_a_certificate_of_another_type_does_not_stand_for_the_material() -> None:
    holder = uuid.uuid4()
    errors = errors_for(certificate(holder, type_code=LICENCE), holder)
    assert "does not stand for" in errors["materials[0].certificateId"]


def test_an_expired_or_not_yet_valid_certificate_is_refused() -> None:
    holder = uuid.uuid4()
    expired = certificate(holder, valid_from=date(2020, 1, 1), valid_until=date(2025, 12, 31))
    assert "已过期" in errors_for(expired, holder)["materials[0].certificateId"]
    future = certificate(holder, valid_from=date(2026, 4, 1))
    assert "起才生效" in errors_for(future, holder)["materials[0].certificateId"]


def test_an_agent_without_the_permission_cannot_use_the_principals_certificate() -> None:
    principal = uuid.uuid4()
    errors = errors_for(certificate(principal), principal, may_use=False)
    assert "authorisation" in errors["materials[0].certificateId"]


class Row(msgspec.Struct, frozen=True):
    id: uuid.UUID
    type_code: str
    status: str
    valid_from: str
    valid_until: str | None


def test_the_guide_offers_the_certificate_valid_longest_for_a_material() -> None:
    material = Material(id="m", name="结婚证", certificate_types=(MARRIAGE,))
    day = date(2026, 3, 2)
    short = Row(uuid.uuid4(), MARRIAGE, "valid", "2026-01-01", "2026-12-31")
    forever = Row(uuid.uuid4(), MARRIAGE, "valid", "2026-01-01", None)
    revoked = Row(uuid.uuid4(), MARRIAGE, "revoked", "2026-01-01", None)
    other = Row(uuid.uuid4(), LICENCE, "valid", "2026-01-01", None)
    assert satisfying(material, [short, forever, revoked, other], day) == forever.id
    assert satisfying(material, [revoked, other], day) is None


def test_old_catalogue_files_name_one_type_by_name_and_still_parse() -> None:
    old = msgspec.convert({"id": "b", "name": "营业执照", "certificateType": "营业执照"}, Material)
    assert old.certificate_types == (LICENCE,)
    assert old.satisfied_by(LICENCE)
    pinned = msgspec.convert({"id": "b", "name": "n", "certificateType": None}, PinnedMaterial)
    assert pinned.certificate_types == ()
