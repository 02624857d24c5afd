"""The per-process cache of verified tokens is bounded: a new citizen every second must not
grow an API process for as long as it runs. Past ``CACHE_SIZE`` the least recently used token
goes; a token that left the cache is simply checked again."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.auth.tokens import CACHE_SIZE, Principal, TokenService
from backend.secret_keys import SecretKeys

KEY = "a-secret-key-of-at-least-thirty-two-bytes"


def test_the_verified_token_cache_stays_bounded_however_many_citizens_log_in() -> None:
    service = TokenService(SecretKeys(KEY), 3600)
    now = datetime.now(UTC)
    tokens = [service.issue(Principal(id=f"c-{i}", role="citizen"), now)[0] for i in range(3)]
    for i in range(CACHE_SIZE + 500):
        token, _ = service.issue(Principal(id=f"n-{i}", role="citizen"), now)
        assert service.verify(token).id == f"n-{i}"
        if i == 0:
            for early in tokens:
                service.verify(early)
        if i % 100 == 0:
            service.verify(tokens[0])  # a phone refreshing its progress now and then

    assert service.cached == CACHE_SIZE
    # every token still verifies, cached or not
    assert [service.verify(t).id for t in tokens] == ["c-0", "c-1", "c-2"]


def test_the_token_in_use_stays_cached_and_the_unused_ones_go_first() -> None:
    service = TokenService(SecretKeys(KEY), 3600)
    now = datetime.now(UTC)
    in_use, _ = service.issue(Principal(id="in-use", role="citizen"), now)
    unused, _ = service.issue(Principal(id="unused", role="citizen"), now)
    service.verify(in_use)
    service.verify(unused)
    for i in range(CACHE_SIZE + 10):
        service.verify(service.issue(Principal(id=f"n-{i}", role="citizen"), now)[0])
        if i % 1000 == 0:
            service.verify(in_use)

    assert in_use in service._verified  # (which ones the cache kept)
    assert unused not in service._verified
