"""A member changes their mandate: logged with before and after, binding deals signed later."""

from __future__ import annotations

import pytest

from syndic.errors import Conflict, InvalidInput, NotFound
from tests.conftest import MakeSyndic


def test_a_mandate_change_is_logged_and_keeps_what_was_not_given(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    m = s.members.join(handle="a", name="", payout_account="acct:a", floor_price_minor=500)
    after = s.members.change_mandate(m.id, prohibited_usages=["ai-train"], allow_vlop=False)
    assert after.mandate["prohibited_usages"] == ["ai-train"]
    assert after.mandate["floor_price_minor"] == 500
    assert after.mandate["allow_vlop"] is False
    assert s.members.get(m.id).mandate == after.mandate
    assert s.event_counts()["member.mandate_changed"] == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"prohibited_usages": ["mind-reading"]}, InvalidInput),
        ({"floor_price_minor": -1}, InvalidInput),
        ({"allow_vlop": True}, InvalidInput),  # nothing changes
    ],
)
def test_a_bad_or_empty_change_is_refused_and_not_logged(
    make_syndic: MakeSyndic, change: dict[str, object], error: type[Exception]
) -> None:
    s = make_syndic()
    m = s.members.join(handle="a", name="", payout_account="acct:a")
    before = s.event_counts()
    with pytest.raises(error):
        s.members.change_mandate(m.id, **change)  # type: ignore[arg-type]
    assert s.event_counts() == before
    assert s.members.get(m.id).mandate == m.mandate


def test_a_member_who_left_or_never_was_has_no_mandate_to_change(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    m = s.members.join(handle="a", name="", payout_account="acct:a")
    s.members.leave(m.id)
    with pytest.raises(Conflict, match="has left"):
        s.members.change_mandate(m.id, allow_vlop=False)
    with pytest.raises(NotFound):
        s.members.change_mandate(99, allow_vlop=False)
