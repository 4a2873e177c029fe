"""A withdrawn work leaves future deals, stays in signed ones, and the log says so."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.auth.service import Role
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


def test_only_the_steward_or_a_holder_withdraws_over_the_api(make_syndic: MakeSyndic) -> None:
    w = world(make_syndic, n=2)
    holder = w.s.keys.create(role=Role.MEMBER, subject_id=w.members[0])
    other = w.s.keys.create(role=Role.MEMBER, subject_id=w.members[1])
    with TestClient(create_app(w.s)) as c:
        url = f"/v1/works/{w.works[0]}/withdraw"
        r = c.post(url, json={}, headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = c.post(url, json={"reason": "mine"}, headers={"Authorization": f"Bearer {holder}"})
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        r = c.post(url, json={}, headers={"Authorization": f"Bearer {holder}"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
