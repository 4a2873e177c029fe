"""Withdrawing a work over the API: only the steward or a holder may."""

from __future__ import annotations

from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.auth.service import Role
from tests.coalition import world
from tests.conftest import MakeSyndic


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
