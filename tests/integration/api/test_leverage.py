"""The leverage API: a steward runs and reads leverage; members read a deal's assessment;
refusals are one error object and store nothing."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.auth.service import Role
from syndic.keys import public_b64
from syndic.terms.models import Terms, Usage
from tests.coalition import LAB_KEY
from tests.conftest import MakeSyndic
from tests.unit.bargaining.helpers import papers, pool

SMALL = {
    "families": "knn",
    "dims": 8,
    "seeds": 2,
    "n_sizes": 4,
    "min_size": 10,
    "groups": 1,
    "eval_fraction": 0.2,
    "executor": "serial",
}


def test_leverage_over_the_api(backend: str, make_syndic: MakeSyndic, tmp_path: Path) -> None:
    s = make_syndic()
    pool(s, tmp_path, n=60)
    outside = "".join(json.dumps(r) + "\n" for r in papers(90, seed=2, prefix="out"))
    steward = {"Authorization": f"Bearer {s.keys.create(role=Role.STEWARD, subject_id=None)}"}
    member = {"Authorization": f"Bearer {s.keys.create(role=Role.MEMBER, subject_id=1)}"}
    lab = s.deals.register_licensee(
        name="Lab", contact="l@example.org", public_key=public_b64(LAB_KEY), monthly_active_users=0
    ).id
    licensee = {"Authorization": f"Bearer {s.keys.create(role=Role.LICENSEE, subject_id=lab)}"}
    with TestClient(create_app(s)) as c:
        for body, code in [
            ({"outside_jsonl": outside, "params": {**SMALL, "nash_weight": 2}}, "leverage_error"),
            ({"outside_jsonl": outside, "params": {"no_such": 1}}, "leverage_error"),
            ({"outside_jsonl": outside, "params": {"seeds": "five"}}, "leverage_error"),
            ({"outside_jsonl": "not json\n", "params": SMALL}, "input_file_error"),
        ]:
            r = c.post("/v1/leverage/runs", json=body, headers=steward)
            assert r.status_code in (400, 422) and r.json()["error"]["code"] == code, r.text
        assert c.get("/v1/leverage/runs", headers=steward).json() == []
        assert (
            c.post("/v1/leverage/runs", json={"outside_jsonl": outside}, headers=member).status_code
            == 403
        )

        r = c.post(
            "/v1/leverage/runs", json={"outside_jsonl": outside, "params": SMALL}, headers=steward
        )
        assert r.status_code == 201, r.text
        run = r.json()
        assert set(run["result"]["strike"]) == {"knn"}
        assert c.get(f"/v1/leverage/runs/{run['id']}", headers=steward).json()["id"] == run["id"]
        chart = c.get(f"/v1/leverage/runs/{run['id']}/chart.svg", headers=steward)
        assert chart.headers["content-type"] == "image/svg+xml"

        deal = s.deals.offer(
            licensee_id=lab,
            terms=Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=5_000),
            actor=f"licensee:{lab}",
        ).id
        a = c.get(f"/v1/deals/{deal}/assessment", headers=member)
        assert a.status_code == 200 and a.json()["position"]["run"] == run["id"]
        assert sum(a.json()["payouts"]["members"].values()) == 5_000
        assert c.get(f"/v1/deals/{deal}/assessment", headers=licensee).status_code == 403
        missing = c.get("/v1/deals/99/assessment", headers=steward)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
