"""The valuation API: a steward sees every run, a member key only its own value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.members.importer import import_arxiv
from syndic.valuation.params import RunParams
from tests.conftest import MakeSyndic


@pytest.fixture
def valued(make_syndic: MakeSyndic, fixture_jsonl: Path) -> Iterator[tuple[Syndic, TestClient]]:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    s.valuation.run(RunParams(group_permutations=10, repeats=1, folds=3))
    with TestClient(create_app(s)) as client:
        yield s, client


def h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_api_steward_sees_all_members_see_their_own(
    backend: str, valued: tuple[Syndic, TestClient]
) -> None:
    s, c = valued
    steward = s.keys.create(role=Role.STEWARD, subject_id=None)
    m1 = s.keys.create(role=Role.MEMBER, subject_id=1)
    runs = c.get("/v1/valuation/runs", headers=h(steward)).json()
    run_id = runs[0]["id"]
    assert c.get(f"/v1/valuation/runs/{run_id}", headers=h(steward)).json()["method"] == (
        "knn-shapley"
    )
    assert len(c.get(f"/v1/valuation/runs/{run_id}/members", headers=h(steward)).json()) == 12
    assert len(c.get(f"/v1/valuation/runs/{run_id}/works", headers=h(steward)).json()) == 240
    own = c.get("/v1/valuation/members/1", headers=h(m1))
    assert own.status_code == 200 and own.json()["member_id"] == 1
    chart = c.get("/v1/valuation/members/1/chart.svg", headers=h(m1))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    for path in (
        "/v1/valuation/members/2",
        "/v1/valuation/members/2/chart.svg",
        "/v1/valuation/runs",
        f"/v1/valuation/runs/{run_id}/members",
    ):
        r = c.get(path, headers=h(m1))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
    assert c.get("/v1/valuation/runs").status_code == 401
    missing = c.get("/v1/valuation/runs/99", headers=h(steward))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    newcomer = s.members.join(handle="n", name="n", payout_account="a")
    r = c.get(f"/v1/valuation/members/{newcomer.id}", headers=h(steward))
    assert r.status_code == 422 and r.json()["error"]["code"] == "valuation_error"
