"""The API in process (ASGI): roles, scoping, token checks and JSON errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from syndic.access.canaries import PER_AGREEMENT
from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.keys import public_b64
from syndic.members.importer import import_arxiv
from syndic.provenance.models import LogEntry
from syndic.terms.models import Terms, Usage
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic

FEE = 500_00
LAB_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # the licensee's own key


def countersign(c: TestClient, key: str, agreement_id: int) -> dict:  # type: ignore[type-arg]
    """The licensee fetches the exact document bytes and posts its signature over them."""
    doc = c.get(f"/v1/agreements/{agreement_id}/document", headers=h(key))
    assert doc.status_code == 200
    sig = base64.b64encode(LAB_KEY.sign(doc.content)).decode()
    r = c.post(f"/v1/agreements/{agreement_id}/signature", headers=h(key), json={"signature": sig})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def world(
    make_syndic: MakeSyndic, fixture_jsonl: Path
) -> Iterator[tuple[Syndic, TestClient, ManualClock, dict]]:
    clock = ManualClock()
    syndic = make_syndic(clock=clock)
    import_arxiv(syndic.members, fixture_jsonl)
    syndic.terms.publish(Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=FEE))
    lab = syndic.deals.register_licensee(name="Lab", contact="a@b", public_key=public_b64(LAB_KEY))
    other = syndic.deals.register_licensee(name="Other", contact="c@d")
    keys = {
        "steward": syndic.keys.create(role=Role.STEWARD, subject_id=None),
        "lab": syndic.keys.create(role=Role.LICENSEE, subject_id=lab.id),
        "other": syndic.keys.create(role=Role.LICENSEE, subject_id=other.id),
        "m1": syndic.keys.create(role=Role.MEMBER, subject_id=1),
        "m2": syndic.keys.create(role=Role.MEMBER, subject_id=2),
    }
    with TestClient(create_app(syndic)) as client:
        yield syndic, client, clock, keys


def h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_public_and_auth_errors(world) -> None:  # type: ignore[no-untyped-def]
    _, c, _, keys = world
    assert c.get("/v1/terms").json()["permits"] == ["ai-train"]
    assert c.get("/openapi.json").status_code == 200
    r = c.get("/v1/members")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = c.get("/v1/members", headers=h("syk_forged"))
    assert r.status_code == 401
    r = c.get("/v1/members", headers=h(keys["m1"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert len(c.get("/v1/members", headers=h(keys["steward"])).json()) == 12


def test_member_sees_only_their_own(world) -> None:  # type: ignore[no-untyped-def]
    _, c, _, keys = world
    mine = c.get("/v1/members/1/works", headers=h(keys["m1"]))
    assert mine.status_code == 200 and len(mine.json()) == 20
    assert all(w["holders"][0]["member_id"] == 1 for w in mine.json())
    assert c.get("/v1/members/2/works", headers=h(keys["m1"])).status_code == 403
    assert c.get("/v1/members/2/statements", headers=h(keys["m1"])).status_code == 403
    other_work = c.get("/v1/members/2/works", headers=h(keys["m2"])).json()[0]["id"]
    assert c.get(f"/v1/works/{other_work}", headers=h(keys["m1"])).status_code == 403
    assert c.get(f"/v1/works/{other_work}", headers=h(keys["m2"])).status_code == 200


def test_licensee_round_and_scoping(world) -> None:  # type: ignore[no-untyped-def]
    syndic, c, clock, keys = world
    bad = c.post(
        "/v1/deals",
        headers=h(keys["lab"]),
        json={"terms": {"permits": ["ai-train"], "amount_minor": -1}},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "amount_invalid"
    frac = c.post(
        "/v1/deals",
        headers=h(keys["lab"]),
        json={"terms": {"permits": ["ai-train"], "amount_minor": 1.5}},
    )
    assert frac.status_code == 422
    member_offer = {"terms": {"permits": ["ai-train"], "amount_minor": FEE}}
    assert c.post("/v1/deals", headers=h(keys["m1"]), json=member_offer).status_code == 403
    r = c.post(
        "/v1/deals",
        headers=h(keys["lab"]),
        json={"terms": {"permits": ["ai-train"], "amount_minor": FEE}},
    )
    assert r.status_code == 201, r.text
    deal_id = r.json()["id"]
    syndic.deals.open_vote(deal_id)
    for key in ("m1", "m2"):
        assert (
            c.post(
                f"/v1/deals/{deal_id}/votes", headers=h(keys[key]), json={"choice": "yes"}
            ).status_code
            == 201
        )
    again = c.post(f"/v1/deals/{deal_id}/votes", headers=h(keys["m1"]), json={"choice": "no"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert (
        c.post(
            f"/v1/deals/{deal_id}/votes", headers=h(keys["lab"]), json={"choice": "yes"}
        ).status_code
        == 403
    )
    for m in range(3, 8):
        syndic.deals.cast_vote(deal_id, member_id=m, choice="yes")
    clock.advance(timedelta(hours=72))
    syndic.deals.close_vote(deal_id)
    a = syndic.deals.sign(deal_id)
    assert countersign(c, keys["lab"], a.id)["status"] == "active"

    assert [x["id"] for x in c.get("/v1/agreements", headers=h(keys["lab"])).json()] == [a.id]
    assert c.get("/v1/agreements", headers=h(keys["other"])).json() == []
    denied = c.post(f"/v1/agreements/{a.id}/tokens", headers=h(keys["other"]))
    assert denied.status_code == 403
    with syndic.db.read() as sess:
        assert "access.denied" in set(sess.scalars(select(LogEntry.kind)))

    token = c.post(f"/v1/agreements/{a.id}/tokens", headers=h(keys["lab"])).json()["token"]
    r = c.get(f"/v1/agreements/{a.id}/dataset.jsonl", headers={"Authorization": f"License {token}"})
    # the 240 works, marked for this licensee, and its canary records
    assert r.status_code == 200 and len(r.text.splitlines()) == 240 + PER_AGREEMENT
    assert c.get(f"/v1/agreements/{a.id}/dataset.jsonl", headers=h(keys["lab"])).status_code == 401
    forged = c.get(
        f"/v1/agreements/{a.id}/dataset.jsonl", headers={"Authorization": "License syl_nope"}
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "unauthorized"
    outside = c.get(
        f"/v1/agreements/{a.id + 7}/dataset.jsonl", headers={"Authorization": f"License {token}"}
    )
    assert outside.status_code == 403
    clock.advance(timedelta(days=400))
    expired = c.get(
        f"/v1/agreements/{a.id}/dataset.jsonl", headers={"Authorization": f"License {token}"}
    )
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]


def test_keys_are_stored_hashed(world) -> None:  # type: ignore[no-untyped-def]
    syndic, _, _, keys = world
    from syndic.auth.service import ApiKey

    with syndic.db.read() as sess:
        stored = set(sess.scalars(select(ApiKey.key_hash)))
    assert not stored & set(keys.values())
    raw = Path(syndic.settings.sqlite_path).read_bytes()
    assert all(k.encode() not in raw for k in keys.values())


def test_unknown_route_is_json(world) -> None:  # type: ignore[no-untyped-def]
    _, c, _, _ = world
    r = c.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert isinstance(httpx.Response, type)


def test_steward_runs_the_round_over_the_api(world) -> None:  # type: ignore[no-untyped-def]
    syndic, c, _, keys = world
    st = h(keys["steward"])
    offer = {"terms": {"permits": ["ai-train"], "amount_minor": FEE}}
    deal_id = c.post("/v1/deals", headers=h(keys["lab"]), json=offer).json()["id"]
    assert c.post(f"/v1/deals/{deal_id}/vote", headers=h(keys["lab"]), json={}).status_code == 403
    assert c.post(f"/v1/deals/{deal_id}/vote", headers=st).json()["status"] == "voting"
    for m in range(1, 13):  # all 12 members: only then may the vote close early
        syndic.deals.cast_vote(deal_id, member_id=m, choice="yes")
    early = c.post(f"/v1/deals/{deal_id}/vote/close", headers=st, json={})
    assert early.status_code == 409
    assert (
        c.post(f"/v1/deals/{deal_id}/vote/close", headers=st, json={"early": True}).json()["status"]
        == "approved"
    )
    agreement = c.post(f"/v1/deals/{deal_id}/sign", headers=st).json()
    assert agreement["works_count"] == 240 and agreement["status"] == "pending"
    aid = agreement["id"]
    assert countersign(c, keys["lab"], aid)["status"] == "active"
    assert (
        c.post(f"/v1/agreements/{aid}/revenue", headers=st, json={"amount_minor": -5}).status_code
        == 422
    )
    assert (
        c.post(
            f"/v1/agreements/{aid}/revenue", headers=st, json={"amount_minor": 2**70}
        ).status_code
        == 422
    )
    assert (
        c.post(f"/v1/agreements/{aid}/revenue", headers=st, json={"amount_minor": FEE}).status_code
        == 201
    )
    assert (
        sum(
            x["amount_minor"] for x in c.post(f"/v1/agreements/{aid}/distribute", headers=st).json()
        )
        == FEE
    )
    assert c.post("/v1/payouts", headers=st).json()["paid_minor"] == FEE
    mine = c.get("/v1/members/1/statements", headers=h(keys["m1"])).json()
    assert len(mine) == 1 and mine[0]["member_id"] == 1
    rep = c.get("/v1/report", headers=st).json()
    assert rep["revenue_minor"] == rep["paid_out_minor"] == FEE


def test_refusals_over_someones_records_are_logged_alike(world) -> None:  # type: ignore[no-untyped-def]
    syndic, c, _, keys = world
    before = syndic.event_counts().get("access.denied", 0)
    other_work = c.get("/v1/members/2/works", headers=h(keys["m2"])).json()[0]["id"]
    for path in ("/v1/members/2", "/v1/members/2/works", f"/v1/works/{other_work}"):
        r = c.get(path, headers=h(keys["m1"]))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
    # a key of the wrong role reaches for nothing of anyone's: refused, not logged
    assert c.get("/v1/members", headers=h(keys["m1"])).status_code == 403
    assert c.get("/v1/members/2", headers=h(keys["lab"])).status_code == 403
    assert syndic.event_counts()["access.denied"] == before + 3
    # the resource is checked first: a missing one is a 404, not a refusal
    assert c.get("/v1/works/99999", headers=h(keys["m1"])).status_code == 404
    assert c.get("/v1/works/not-a-number", headers=h(keys["m1"])).status_code == 422


def test_introspection_and_public_key_go_through_syndic(world) -> None:  # type: ignore[no-untyped-def]
    syndic, c, _, _ = world
    assert c.get("/v1/coalition").json()["public_key"] == syndic.public_key
    assert syndic.introspect_token("syl_forged") is None
    r = c.post("/v1/olp/introspect", data={"token": "syl_forged"})
    assert r.status_code == 200 and r.json() == {"active": False}
