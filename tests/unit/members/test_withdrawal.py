"""A withdrawn work leaves future deals, stays in signed ones, and the log says so."""

from __future__ import annotations

import pytest

from syndic.errors import Conflict, NotFound
from tests.coalition import active_agreement, world
from tests.conftest import MakeSyndic


def test_withdrawn_work_leaves_future_deals_only(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=4)
    first = active_agreement(w)
    assert w.s.deals.get_agreement(first).works_count == 4
    before = w.events()
    gone = w.s.members.withdraw_work(w.works[0], reason="the author asked")
    assert gone.status == "withdrawn"
    assert w.kinds()[-1] == "work.withdrawn"
    assert w.payloads("work.withdrawn") == [
        {"work": w.works[0], "digest": gone.digest, "reason": "the author asked"}
    ]
    with pytest.raises(Conflict, match="already withdrawn"):
        w.s.members.withdraw_work(w.works[0])
    with pytest.raises(NotFound):
        w.s.members.withdraw_work(999)
    assert w.events() == before + 1  # refusals wrote nothing
    second = active_agreement(w)
    assert w.s.deals.get_agreement(second).works_count == 3
    # the signed agreement keeps its frozen scope: the withdrawn work's holder is still paid
    assert w.members[0] in w.s.deals.members_of(first)
    assert w.members[0] not in w.s.deals.members_of(second)
