"""The authorization policy: pure decisions, and which refusals are logged."""

from __future__ import annotations

import pytest

from syndic.auth.models import Principal, Role
from syndic.auth.policy import RESOURCES, Need, decide

STEWARD = Principal(Role.STEWARD, None, 1)
MEMBER_1 = Principal(Role.MEMBER, 1, 2)
LICENSEE_7 = Principal(Role.LICENSEE, 7, 3)


def test_a_role_in_the_need_may_act() -> None:
    assert decide(STEWARD, Need.of(Role.STEWARD)) is None
    assert decide(MEMBER_1, Need.of(Role.STEWARD, Role.MEMBER)) is None


def test_another_role_is_refused_and_not_logged() -> None:
    refusal = decide(MEMBER_1, Need.of(Role.STEWARD))
    assert refusal is not None
    assert refusal.message == "this needs the steward role"
    assert refusal.resource == ""  # nothing of anyone's was reached: not logged
    custom = decide(LICENSEE_7, Need.of(Role.MEMBER, message="only members vote"))
    assert custom is not None and custom.message == "only members vote"


def test_an_owner_may_act_on_its_own_resource_only() -> None:
    need = Need.of(Role.STEWARD, own="agreement")
    assert decide(LICENSEE_7, need, subject=3, owners={7}) is None
    refusal = decide(LICENSEE_7, need, subject=4, owners={8})
    assert refusal is not None
    assert refusal.message == "agreement 4 is not yours"
    assert (refusal.resource, refusal.reason) == ("agreement:4", "not a party to this agreement")
    assert decide(STEWARD, need, subject=4, owners={8}) is None


def test_a_role_that_owns_nothing_of_this_kind_gets_a_role_refusal() -> None:
    need = Need.of(Role.STEWARD, own="agreement", message="members cannot act on agreements")
    refusal = decide(MEMBER_1, need, subject=4, owners={1})
    assert refusal is not None and refusal.message == "members cannot act on agreements"
    assert refusal.resource == ""
    default = decide(MEMBER_1, Need.of(Role.STEWARD, own="agreement"), subject=4)
    assert default is not None and default.message == "this needs the licensee or steward role"


def test_work_holders_are_its_owners() -> None:
    need = Need.of(Role.STEWARD, own="work")
    assert decide(MEMBER_1, need, subject=9, owners={1, 2}) is None
    refused = decide(MEMBER_1, need, subject=9, owners={2})
    assert refused is not None and refused.resource == "work:9"


def test_fails_closed() -> None:
    nobody = Need.of()
    for p in (STEWARD, MEMBER_1, LICENSEE_7):
        assert decide(p, nobody) is not None
    # an owner without a subject is refused, never waved through
    assert decide(LICENSEE_7, Need.of(own="agreement")) is not None


def test_resource_kinds_come_from_one_registry() -> None:
    assert set(RESOURCES) == {"member", "work", "deal", "agreement"}
    with pytest.raises(ValueError, match="unknown resource kind"):
        Need.of(Role.STEWARD, own="proposal")
