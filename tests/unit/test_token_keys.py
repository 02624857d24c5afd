"""Bearer tokens name the key that signed them: during a rotation both keys verify, a retired
key's tokens are refused, and tokens from before key ids still verify."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from backend.auth.tokens import Principal, TokenService
from backend.secret_keys import SecretKeys, key_id
from domain.errors import Unauthenticated

OLD = "the-old-secret-key-of-at-least-32-bytes!"
NEW = "the-new-secret-key-of-at-least-32-bytes!"
CITIZEN = Principal(id="c-1", role="citizen")


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_token_names_the_current_key_in_its_kid_header() -> None:
    token, _ = TokenService(SecretKeys(NEW, [OLD]), 3600).issue(CITIZEN, _now())
    assert jwt.get_unverified_header(token)["kid"] == key_id(NEW)


def test_tokens_of_either_key_verify_while_both_are_configured_in_either_order() -> None:
    before = TokenService(SecretKeys(OLD, [NEW]), 3600)  # step 1: the new key accepted
    after = TokenService(SecretKeys(NEW, [OLD]), 3600)  # step 2: the new key signs
    old_token, _ = before.issue(CITIZEN, _now())
    new_token, _ = after.issue(CITIZEN, _now())
    for service in (before, after):
        assert service.verify(old_token).id == "c-1"
        assert service.verify(new_token).id == "c-1"


def test_a_token_signed_with_a_retired_key_is_refused() -> None:
    old_token, _ = TokenService(SecretKeys(OLD), 3600).issue(CITIZEN, _now())
    with pytest.raises(Unauthenticated, match="密钥已停用"):
        TokenService(SecretKeys(NEW), 3600).verify(old_token)


def test_a_token_from_before_key_ids_verifies_with_any_configured_key() -> None:
    claims = {"sub": "c-1", "role": "citizen", "exp": int(_now().timestamp()) + 60}
    legacy = jwt.encode(claims, OLD, algorithm="HS256")  # no kid header
    assert TokenService(SecretKeys(NEW, [OLD]), 3600).verify(legacy).id == "c-1"
    with pytest.raises(Unauthenticated, match="登录凭证无效"):
        TokenService(SecretKeys(NEW), 3600).verify(legacy)


def test_a_kid_naming_a_known_key_does_not_let_another_key_sign() -> None:
    claims = {"sub": "admin", "role": "admin", "exp": int(_now().timestamp()) + 60}
    forged = jwt.encode(
        claims, "an-attackers-key-of-at-least-32-bytes", headers={"kid": key_id(OLD)}
    )
    with pytest.raises(Unauthenticated, match="登录凭证无效"):
        TokenService(SecretKeys(NEW, [OLD]), 3600).verify(forged)


def test_key_ids_differ_per_key_and_reveal_nothing_of_it() -> None:
    assert key_id(OLD) != key_id(NEW)
    assert len(key_id(OLD)) == 16
    assert OLD not in repr(SecretKeys(OLD, [NEW]))


def test_a_cached_token_of_a_key_rotated_away_is_refused() -> None:
    service = TokenService(SecretKeys(NEW, [OLD]), 3600)
    old_token, _ = TokenService(SecretKeys(OLD), 3600).issue(CITIZEN, _now())
    legacy = jwt.encode({"sub": "c-1", "role": "citizen", "exp": 2**31 - 1}, OLD, "HS256")
    assert service.verify(old_token).id == "c-1"  # verified once: now in the cache
    assert service.verify(legacy).id == "c-1"
    service.use_keys(SecretKeys(NEW))  # the old key retired
    for token in (old_token, legacy):
        with pytest.raises(Unauthenticated):
            service.verify(token)


def test_a_cached_token_of_the_current_key_still_verifies_after_a_rotation_step() -> None:
    service = TokenService(SecretKeys(OLD, [NEW]), 3600)
    new_token, _ = TokenService(SecretKeys(NEW), 3600).issue(CITIZEN, _now())
    assert service.verify(new_token).id == "c-1"
    service.use_keys(SecretKeys(NEW, [OLD]))
    assert service.verify(new_token).id == "c-1"
