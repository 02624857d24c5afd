"""代办: an invitation redeemed once within 24 hours; the agent acts for the principal on the
services in scope until the validity ends or the principal revokes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.authorisation import Authorisation
from domain.errors import InvalidState, NotFound, ValidationFailed
from domain.identity import CitizenIdentity, id_check_digit, valid_id_number

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
PRINCIPAL, AGENT = uuid.uuid4(), uuid.uuid4()
FOOD, MARRIAGE = "XK-00101-000", "QR-00701-000"


def granted(scope: list[str] | None = None, days: int = 30) -> Authorisation:
    return Authorisation.grant(
        id=uuid.uuid4(),
        principal_id=PRINCIPAL,
        scope=scope,
        valid_until=AT + timedelta(days=days),
        use_certificates=True,
        invite_digest="digest",
        at=AT,
        principal_name="王阿姨",
    )


def accepted(scope: list[str] | None = None) -> Authorisation:
    a = granted(scope)
    a.accept(agent_id=AGENT, invite_digest="digest", at=AT + timedelta(hours=1), agent_name="小王")
    return a


def test_an_invitation_covers_nothing_until_the_agent_accepts() -> None:
    a = granted()
    assert a.status(AT) == "invited"
    assert not a.covers(FOOD, AT)


def test_the_invitation_code_must_be_redeemed_within_24_hours() -> None:
    a = granted()
    with pytest.raises(InvalidState):
        a.accept(
            agent_id=AGENT, invite_digest="digest", at=AT + timedelta(hours=24), agent_name=None
        )
    assert a.status(AT + timedelta(hours=24)) == "expired"


def test_the_code_is_one_time() -> None:
    a = accepted()
    with pytest.raises(InvalidState):
        a.accept(agent_id=uuid.uuid4(), invite_digest="digest", at=AT, agent_name=None)


def test_a_wrong_code_finds_no_invitation_and_nobody_acts_for_themselves() -> None:
    a = granted()
    with pytest.raises(NotFound):
        a.accept(agent_id=AGENT, invite_digest="other", at=AT, agent_name=None)
    with pytest.raises(ValidationFailed):
        a.accept(agent_id=PRINCIPAL, invite_digest="digest", at=AT, agent_name=None)


def test_the_agent_acts_only_on_services_in_scope_and_only_until_valid_until() -> None:
    a = accepted([FOOD])
    assert a.lets(AGENT, FOOD, AT + timedelta(days=2))
    assert not a.lets(AGENT, MARRIAGE, AT + timedelta(days=2))
    assert not a.lets(uuid.uuid4(), FOOD, AT + timedelta(days=2))
    assert not a.covers(FOOD, AT + timedelta(days=30))
    assert accepted(None).covers(MARRIAGE, AT + timedelta(days=2))


def test_revocation_ends_the_agents_access_at_once_and_only_the_principal_revokes() -> None:
    a = accepted()
    with pytest.raises(NotFound):
        a.revoke(by=AGENT, at=AT)
    a.revoke(by=PRINCIPAL, at=AT + timedelta(days=1))
    assert not a.covers(FOOD, AT + timedelta(days=1))
    with pytest.raises(InvalidState):
        a.revoke(by=PRINCIPAL, at=AT + timedelta(days=1))


def test_expiry_is_recorded_once_after_the_validity_or_the_invitation_ran_out() -> None:
    a = accepted()
    assert not a.expire(at=AT + timedelta(days=29))
    assert a.expire(at=AT + timedelta(days=30))
    assert not a.expire(at=AT + timedelta(days=31))
    unredeemed = granted()
    assert unredeemed.expire(at=AT + timedelta(hours=25))


def test_validity_is_longer_than_the_invitation_and_at_most_a_year() -> None:
    with pytest.raises(ValidationFailed):
        granted(days=1)
    with pytest.raises(ValidationFailed):
        granted(days=400)
    with pytest.raises(ValidationFailed):
        granted(scope=[])


def test_names_are_sealed_under_their_owners_keys() -> None:
    a = accepted()
    events = a.collect_events()
    assert events[0].principal_name.owner == PRINCIPAL  # type: ignore[attr-defined]
    assert events[1].agent_name.owner == AGENT  # type: ignore[attr-defined]
    assert (a.principal_name, a.agent_name) == ("王阿姨", "小王")


def test_an_id_number_needs_its_check_character() -> None:
    first17 = "11010119900307123"
    good = first17 + id_check_digit(first17)
    assert valid_id_number(good)
    bad = first17 + ("0" if good[-1] != "0" else "1")
    assert not valid_id_number(bad)
    with pytest.raises(ValidationFailed):
        CitizenIdentity.declare(citizen_id=PRINCIPAL, name="张三", id_number=bad, at=AT)
    identity = CitizenIdentity.declare(citizen_id=PRINCIPAL, name="张三", id_number=good, at=AT)
    assert identity.id_number == good
