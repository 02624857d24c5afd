"""Builds the e-certificate platform adapter: our httpx client, pointed at the fake platform on
loopback in the sandbox when no platform is configured."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx

from integrations.certificates import (
    CertificatePlatform,
    FakeCertificatePlatform,
    HttpCertificatePlatform,
)

if TYPE_CHECKING:
    from backend.settings import Settings

__all__ = ["CertificateAdapters", "open_certificate_platform"]

_log = logging.getLogger(__name__)


class CertificateAdapters:
    """The platform (None: none configured) and, in the sandbox, the fake behind it.

    (A plain class: request handlers receive ``Services``, whose field types the framework
    inspects; it must not look into this one.)
    """

    def __init__(
        self, platform: CertificatePlatform | None, fake: FakeCertificatePlatform | None = None
    ) -> None:
        self.platform = platform
        self.fake = fake


def _sandbox_key(secret_key: str) -> bytes:
    """A shared key derived from the app's secret key, for the sandbox only."""
    return hmac.new(secret_key.encode(), b"certificate-platform", hashlib.sha256).digest()


@contextlib.asynccontextmanager
async def open_certificate_platform(settings: Settings) -> AsyncIterator[CertificateAdapters]:
    """The adapter with its own httpx client (timeouts set), closed on exit."""
    config = settings.certificate_platform
    timeout = httpx.Timeout(config.timeout_seconds, connect=min(2.0, config.timeout_seconds))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=timeout))
        fake: FakeCertificatePlatform | None = None
        platform: CertificatePlatform | None = None
        if config.url and config.key:
            url, app_id, key = config.url, config.app_id, config.key.encode()
        elif settings.sandbox:
            fake = FakeCertificatePlatform(
                app_id=config.app_id, key=_sandbox_key(settings.secret_key), seed_any_holder=True
            )
            fake.start()
            stack.callback(fake.stop)
            url, app_id, key = fake.url, fake.app_id, fake.key
            _log.info("sandbox mode: fake e-certificate platform on %s", fake.url)
        else:
            url = None
            _log.warning("no e-certificate platform configured: only onewindow's certificates")
        if url is not None:
            platform = HttpCertificatePlatform(
                client,
                base_url=url,
                app_id=app_id,
                key=key,
                replay_window_seconds=config.replay_window_seconds,
            )
        yield CertificateAdapters(platform, fake)
