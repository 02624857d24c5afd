"""Builds the courier adapters: SF with our httpx client, pointed at the fake SF in sandbox."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx

from integrations.courier import CourierCompany, FakeSf, SfExpress

if TYPE_CHECKING:
    from backend.settings import Settings

__all__ = ["Couriers", "open_couriers"]

_log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Couriers:
    """The courier companies we can book, and how their route pushes are let in.

    (A plain class: request handlers receive ``Services``, whose field types the framework
    inspects; it must not look into this one.)
    """

    def __init__(
        self,
        *,
        companies: dict[str, CourierCompany],
        sender_phone: str,
        push_token: str | None,  # None: every push is refused
        push_allow: tuple[Network, ...] = (),
        fake_sf: FakeSf | None = None,  # sandbox: the fake the SF adapter talks to
    ) -> None:
        self.companies = companies
        self.sender_phone = sender_phone
        self.push_token = push_token
        self.push_allow = push_allow
        self.fake_sf = fake_sf

    def push_allowed_from(self, host: str | None) -> bool:
        """Whether a push may come from ``host`` (an IP address; anything else is refused)."""
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self.push_allow)

    def push_token_matches(self, token: str | None) -> bool:
        """Constant-time check of the secret a push carries."""
        if not self.push_token or not token:
            return False
        return hmac.compare_digest(token.encode(), self.push_token.encode())


def _sandbox_token(secret_key: str) -> str:
    """A push secret derived from the app's secret key, for the sandbox only."""
    return hmac.new(secret_key.encode(), b"courier-push", hashlib.sha256).hexdigest()[:32]


@contextlib.asynccontextmanager
async def open_couriers(settings: Settings) -> AsyncIterator[Couriers]:
    """The adapters, with one httpx client (timeouts set) closed on exit; in sandbox without
    SF credentials a fake SF on loopback stands in for SF."""
    config = settings.courier
    timeout = httpx.Timeout(config.timeout_seconds, connect=min(3.0, config.timeout_seconds))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=timeout))
        companies: dict[str, CourierCompany] = {}
        fake: FakeSf | None = None
        token = config.push_token
        if config.sf_partner_id and config.sf_check_word:
            companies["sf"] = SfExpress(
                client,
                partner_id=config.sf_partner_id,
                check_word=config.sf_check_word,
                url=config.sf_api_url,
                monthly_card=config.sf_monthly_card,
            )
        elif settings.sandbox:
            fake = FakeSf()
            fake.start()
            stack.callback(fake.stop)
            companies["sf"] = SfExpress(
                client, partner_id=fake.partner_id, check_word=fake.check_word, url=fake.url
            )
            token = token or _sandbox_token(settings.secret_key)
            if config.push_url:
                fake.push_url = f"{config.push_url}?{urlencode({'token': token})}"
            _log.info("sandbox mode: fake SF Express on %s", fake.url)
        else:
            _log.warning("no SF Express credentials: courier orders wait until they are set")
        if token is None:
            _log.warning("no courier push token configured: route pushes are refused")
        yield Couriers(
            companies=companies,
            sender_phone=config.sender_phone,
            push_token=token,
            push_allow=tuple(ipaddress.ip_network(a, strict=False) for a in config.push_allow),
            fake_sf=fake,
        )
