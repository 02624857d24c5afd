"""Our e-certificate platform adapter against the fake platform on loopback: the real wire
format, signed both ways; forged, replayed and stale answers are refused; down and slow."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from integrations.certificates import (
    FakeCertificatePlatform,
    ForgedAnswer,
    HttpCertificatePlatform,
    PlatformCertificate,
    PlatformRefused,
    PlatformUnavailable,
)
from integrations.certificates.fake_platform import ID_CARD, LICENCE
from integrations.certificates.signing import BadSignature, NonceCache, signed_headers

HOLDER = "110101199003071234"


@pytest.fixture
def fake() -> Iterator[FakeCertificatePlatform]:
    with FakeCertificatePlatform() as platform:
        platform.add(
            PlatformCertificate(
                number="91310000MA1K000001",
                type_code=LICENCE,
                type_name="营业执照",
                holder_name="王五",
                holder_id_number=HOLDER,
                issuer="市市场监督管理局",
                issuer_code="11310100MB2F45021K",
                issued_on="2024-05-01",
                valid_from="2024-05-01",
            )
        )
        yield platform


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as c:
        yield c


def adapter(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform, key: bytes | None = None
) -> HttpCertificatePlatform:
    return HttpCertificatePlatform(
        client, base_url=fake.url, app_id=fake.app_id, key=key or fake.key
    )


async def test_the_platform_answers_a_holders_certificates_of_a_type_with_their_pdf(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform
) -> None:
    platform = adapter(client, fake)
    (licence,) = await platform.fetch(HOLDER, LICENCE)
    assert licence.holder_name == "王五"
    assert licence.file is not None
    assert licence.file.startswith(b"%PDF-")
    assert hashlib.sha256(licence.file).hexdigest() == licence.sha256
    assert await platform.fetch(HOLDER, ID_CARD) == []
    assert await platform.fetch("110101199003070000", LICENCE) == []


async def test_a_revocation_at_the_platform_shows_when_the_certificate_is_verified(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform
) -> None:
    platform = adapter(client, fake)
    assert (await platform.verify("91310000MA1K000001")).status == "valid"
    fake.revoke("91310000MA1K000001", "企业已注销")
    verified = await platform.verify("91310000MA1K000001")
    assert (verified.status, verified.status_reason) == ("revoked", "企业已注销")
    assert (await platform.verify("NO-SUCH")).status == "unknown"


async def test_a_forged_answer_is_refused(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform
) -> None:
    fake.forge_next_answer()
    with pytest.raises(ForgedAnswer, match="signature"):
        await adapter(client, fake).verify("91310000MA1K000001")


async def test_a_replayed_answer_is_refused(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform
) -> None:
    platform = adapter(client, fake)
    await platform.fetch(HOLDER, LICENCE)
    fake.replay_next_answer()
    with pytest.raises(ForgedAnswer, match="replay"):
        await platform.fetch(HOLDER, LICENCE)


async def test_our_requests_are_refused_without_the_shared_key(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform
) -> None:
    with pytest.raises(PlatformRefused, match="401"):
        await adapter(client, fake, key=b"a-wrong-key").fetch(HOLDER, LICENCE)


async def test_a_platform_that_is_down_or_too_slow_is_unavailable(
    client: httpx.AsyncClient, fake: FakeCertificatePlatform
) -> None:
    platform = adapter(client, fake)
    fake.set_down(True)
    with pytest.raises(PlatformUnavailable, match="503"):
        await platform.verify("91310000MA1K000001")
    fake.set_down(False)
    fake.set_latency(1.0)  # the client waits 0.5 s
    with pytest.raises(PlatformUnavailable):
        await platform.verify("91310000MA1K000001")


def test_a_message_outside_the_replay_window_or_seen_before_is_refused() -> None:
    key, body = b"k", b"{}"
    now = [1_800_000_000.0]
    cache = NonceCache(key, window_seconds=300, clock=lambda: now[0])
    stale = signed_headers(key, body, now[0] - 301)
    with pytest.raises(BadSignature, match="window"):
        cache.check(stale, body)
    ahead = signed_headers(key, body, now[0] + 290)
    cache.check(ahead, body)
    now[0] += 299  # still inside the window of the message's own timestamp
    with pytest.raises(BadSignature, match="replay"):
        cache.check(ahead, body)
    with pytest.raises(BadSignature, match="signature"):
        cache.check({**signed_headers(key, body, now[0]), "X-Signature": "00"}, body)
