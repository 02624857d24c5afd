"""Certificates and authorisations on a real PostgreSQL: the watcher records the end of a
certificate's validity and of an authorisation; a refused submission records no use; a result
issued for an item that declares a certificate creates it with its PDF, in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.applications.dto import SubmitApplication
from backend.applications.submission import submit
from backend.auth.tokens import Principal
from backend.bootstrap import bootstrap
from backend.catalog.commands import publish_catalog
from backend.certificates.recheck import LOCK as RECHECK_LOCK
from backend.certificates.recheck import recheck_platform_certificates
from backend.certificates.stuck import invalid_certificate_reasons
from backend.demo_data import demo_catalog
from backend.jobs import watch
from backend.proxies.commands import expire_authorisations, grant
from backend.proxies.dto import GrantAuthorisation
from backend.services import Services
from backend.settings import Settings
from domain.actors import Actor
from domain.application import Delivery, MaterialRef
from domain.authorisation import Authorisation
from domain.calendar import CST
from domain.certificates import Certificate, certificate_id
from domain.errors import ValidationFailed
from integrations.certificates import PlatformCertificate
from integrations.certificates.fake_platform import ID_CARD

SECRET = "certificates-test-secret-key-of-32-bytes!"
MARRIAGE = "11100000000013013K001"


class Clock:
    """The wall clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def services(db_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(data_dir=tmp_path, database_url=db_url, secret_key=SECRET)
    clock = Clock(datetime(2026, 3, 2, 10, tzinfo=CST))
    async with bootstrap(settings, run_workers=False, clock=clock) as wired:
        await publish_catalog(wired, demo_catalog())
        yield wired


def clock_of(services: Services) -> Clock:
    assert isinstance(services.clock, Clock)
    return services.clock


async def project(services: Services) -> None:
    for projection in services.runner.projections:
        await services.runner.catch_up(projection)


def marriage_certificate(holder: uuid.UUID, *, until: date | None) -> Certificate:
    return Certificate.issue(
        id=certificate_id("onewindow", MARRIAGE, str(uuid.uuid4())),
        holder_id=holder,
        holder_name="张三",
        holder_id_number=None,
        type_code=MARRIAGE,
        type_name="结婚证",
        number="J-1",
        issuer="市民政局",
        issuer_code="",
        issued_on=date(2020, 1, 1),
        valid_from=date(2020, 1, 1),
        valid_until=until,
        source="onewindow",
        at=datetime(2026, 3, 1, tzinfo=CST),
    )


def id_card_on_platform(
    services: Services, citizen: uuid.UUID, number: str, name: str
) -> Certificate:
    """An identity card the (fake) national platform knows, as our certificate of it."""
    fake = services.certificates.fake
    assert fake is not None
    fake.add(
        PlatformCertificate(
            number=number,
            type_code=ID_CARD,
            type_name="居民身份证",
            holder_name=name,
            holder_id_number=number,
            issuer="市公安局",
            issuer_code="11310100002420000X",
            issued_on="2020-01-01",
            valid_from="2020-01-01",
        )
    )
    return Certificate.issue(
        id=certificate_id("platform", ID_CARD, number),
        holder_id=citizen,
        holder_name=name,
        holder_id_number=number,
        type_code=ID_CARD,
        type_name="居民身份证",
        number=number,
        issuer="市公安局",
        issuer_code="11310100002420000X",
        issued_on=date(2020, 1, 1),
        valid_from=date(2020, 1, 1),
        valid_until=None,
        source="platform",
        at=clock_of(services).now,
    )


async def submit_with(
    services: Services, citizen: uuid.UUID, id_card: Certificate, marriage: Certificate
) -> Any:
    """The citizen's marriage registration naming both certificates (saved first)."""
    await services.repository.save(id_card, marriage)
    command = SubmitApplication(
        service_code="GG-00901-000",
        situation_id="registration",
        materials=(
            MaterialRef(material_id="id-card", certificate_id=str(id_card.id)),
            MaterialRef(material_id="marriage-certificate", certificate_id=str(marriage.id)),
        ),
        delivery=Delivery(method="pickup"),
    )
    return await submit(services, Principal(id=str(citizen), role="citizen"), command)


async def test_the_watcher_records_that_a_certificates_validity_ended(services: Services) -> None:
    holder = uuid.uuid4()
    ending = marriage_certificate(holder, until=date(2026, 3, 2))
    forever = marriage_certificate(holder, until=None)
    await services.repository.save(ending, forever)
    await project(services)
    await watch(services)
    assert (await services.repository.get(Certificate, ending.id)).status == "valid"  # last day
    clock_of(services).now += timedelta(days=1)
    await watch(services)
    await project(services)
    assert (await services.repository.get(Certificate, ending.id)).status == "expired"
    assert (await services.repository.get(Certificate, forever.id)).status == "valid"
    row = await services.pool.fetchrow(
        "SELECT status, status_reason FROM certificate_view WHERE id = $1", ending.id
    )
    assert row is not None
    assert (row["status"], row["status_reason"]) == ("expired", "有效期至2026-03-02")


async def test_the_watcher_records_that_an_unredeemed_invitation_expired(
    services: Services,
) -> None:
    principal = Principal(id=str(uuid.uuid4()), role="citizen")
    command = GrantAuthorisation(
        scope="all", valid_until=clock_of(services).now + timedelta(days=10)
    )
    answer = await grant(services, principal, command)
    key = uuid.UUID(answer.body.id)  # type: ignore[union-attr]
    assert await expire_authorisations(services) == 0
    clock_of(services).now += timedelta(hours=24)
    assert await expire_authorisations(services) == 1
    authorisation = await services.repository.get(Authorisation, key)
    assert authorisation.ended == "expired"
    ended = await services.pool.fetchval(
        "SELECT ended_at FROM authorisation_index WHERE id = $1", key
    )
    assert ended is not None


async def test_a_refused_submission_records_no_use_of_the_certificate_it_names(
    services: Services,
) -> None:
    citizen = uuid.uuid4()
    certificate = marriage_certificate(citizen, until=None)
    await services.repository.save(certificate)
    command = SubmitApplication(
        service_code="GG-00901-000",
        situation_id="registration",
        materials=(
            MaterialRef(material_id="id-card", file_id=uuid.uuid4()),  # nobody's file
            MaterialRef(material_id="marriage-certificate", certificate_id=str(certificate.id)),
        ),
        delivery=Delivery(method="pickup"),
    )
    with pytest.raises(ValidationFailed) as refused:
        await submit(services, Principal(id=str(citizen), role="citizen"), command)
    assert set(refused.value.errors) == {"materials[0].fileId"}
    assert (await services.repository.get(Certificate, certificate.id)).uses == 0


async def test_a_much_used_certificate_loads_from_a_snapshot_with_its_holder_sealed(
    services: Services,
) -> None:
    holder = uuid.uuid4()
    certificate = marriage_certificate(holder, until=None)
    await services.repository.save(certificate)
    actor = Actor(id=str(holder), role="citizen")
    for n in range(50):
        certificate.record_use(
            application_id=uuid.uuid4(),
            application_number=f"N-{n}",
            department="市卫生健康委员会",
            purpose="生育登记：结婚证",
            actor=actor,
            at=clock_of(services).now,
        )
        await services.repository.save(certificate)
    stored = await services.pool.fetchval(
        "SELECT count(*) FROM onewindow_snapshots WHERE originator_id = $1", certificate.id
    )
    assert stored == 1
    loaded = await services.repository.get(Certificate, certificate.id)
    assert (loaded.uses, loaded.holder_name) == (50, "张三")


async def test_the_watcher_finds_a_revocation_at_the_platform_before_anyone_opens_the_case(
    services: Services,
) -> None:
    fake = services.certificates.fake
    assert fake is not None
    citizen = uuid.uuid4()
    number = "110101199003070015"
    id_card = id_card_on_platform(services, citizen, number, "赵六")
    marriage = marriage_certificate(citizen, until=None)
    answer = await submit_with(services, citizen, id_card, marriage)
    await project(services)
    asked = fake.calls.count("/v1/certificates/verify")
    assert asked == 1  # at use

    # confirmed at use a moment ago: not asked again within the interval
    assert await watch(services) == 0
    assert fake.calls.count("/v1/certificates/verify") == asked

    fake.revoke(number, "证件已挂失")
    clock_of(services).now += timedelta(hours=7)
    async with services.pool.acquire() as other:  # another process's watcher is at it
        lock = "SELECT pg_advisory_lock(hashtextextended($1, 0))"
        await other.execute(lock, RECHECK_LOCK)
        assert await recheck_platform_certificates(services) == 0
        assert fake.calls.count("/v1/certificates/verify") == asked
        await other.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", RECHECK_LOCK)
    fake.set_down(True)  # a platform that cannot answer changes nothing and stops nothing
    assert await recheck_platform_certificates(services) == 0
    fake.set_down(False)
    assert await recheck_platform_certificates(services) == 1
    assert await recheck_platform_certificates(services) == 0  # revoked: nothing more to ask
    await project(services)

    application_id = uuid.UUID(answer.body.id)  # type: ignore[union-attr]
    reasons = await invalid_certificate_reasons(services.pool)
    ((code, _since, words),) = reasons[application_id]
    assert code == "certificate_invalid"
    assert "证件已挂失" in words


async def test_a_certificate_past_its_validity_makes_the_case_stuck_by_the_services_clock(
    services: Services,
) -> None:
    # the stuck list's day is the services' day (as its other rules), not the machine's
    citizen = uuid.uuid4()
    id_card = id_card_on_platform(services, citizen, "110101199003070023", "钱七")
    today = clock_of(services).now.date()
    marriage = marriage_certificate(citizen, until=today)  # valid through today
    answer = await submit_with(services, citizen, id_card, marriage)
    application_id = uuid.UUID(answer.body.id)  # type: ignore[union-attr]
    await project(services)

    async def reasons() -> list[str]:
        found: list[str] = []
        for provider in services.stuck_reasons:
            found += [
                words
                for _code, _at, words in (await provider(services.pool)).get(application_id, [])
            ]
        return found

    assert await reasons() == []  # its last valid day
    clock_of(services).now += timedelta(days=1)
    (words,) = await reasons()
    assert "结婚证" in words
    assert "已过有效期" in words
