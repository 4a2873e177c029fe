"""Governance and negotiation over the API (in-process ASGI): roles, turns, JSON errors."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from syndic.api.app import create_app
from syndic.auth.service import Role
from syndic.canonical import canonical_bytes
from syndic.deals.agreement import verify_file
from syndic.governance.voting.ballot_file import parse, tally
from syndic.keys import public_b64
from tests.coalition import (
    FEE,
    LAB_KEY,
    OTHER_KEY,
    World,
    approved,
    licensee_offer,
    world,
)
from tests.conftest import MakeSyndic

QV = {"deal_vote": {"method": "quadratic", "delegation": True}}


@pytest.fixture
def api(make_syndic: MakeSyndic) -> Iterator[tuple[World, TestClient, dict[str, dict[str, str]]]]:
    w = world(make_syndic, n=4, charter=QV)
    keys = {"steward": w.s.keys.create(role=Role.STEWARD, subject_id=None)}
    keys["lab"] = w.s.keys.create(role=Role.LICENSEE, subject_id=w.lab)
    for i, m in enumerate(w.members):
        keys[f"m{i}"] = w.s.keys.create(role=Role.MEMBER, subject_id=m)
    headers = {k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()}
    with TestClient(create_app(w.s)) as c:
        yield w, c, headers


def err(r, status: int, code: str) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    return str(r.json()["error"]["message"])


def test_a_round_over_http(api) -> None:  # type: ignore[no-untyped-def]
    w, c, h = api
    assert c.get("/v1/charter").json()["deal_vote"]["method"] == "quadratic"  # no key needed
    assert [v["version"] for v in c.get("/v1/charter/versions").json()] == [1]
    new_key = public_b64(OTHER_KEY)
    assert c.put("/v1/licensees/me/key", headers=h["lab"], json={"public_key": new_key}).is_success
    assert c.get("/v1/licensees/me", headers=h["lab"]).json()["public_key"] == new_key
    bad = c.put("/v1/licensees/me/key", headers=h["lab"], json={"public_key": "nope"})
    err(bad, 422, "verification_failed")
    err(
        c.put("/v1/licensees/me/key", headers=h["m0"], json={"public_key": new_key}),
        403,
        "forbidden",
    )
    c.put("/v1/licensees/me/key", headers=h["lab"], json={"public_key": public_b64(LAB_KEY)})

    offer = {"terms": {"permits": ["ai-train"], "amount_minor": FEE // 2}}
    deal = c.post("/v1/deals", headers=h["lab"], json=offer).json()
    assert (deal["status"], deal["offer_by"], deal["round"]) == ("offered", "licensee", 1)
    msg = err(
        c.post(f"/v1/deals/{deal['id']}/counter", headers=h["lab"], json=offer), 403, "forbidden"
    )
    assert "coalition's turn" in msg
    err(c.post(f"/v1/deals/{deal['id']}/counter", headers=h["m0"], json=offer), 403, "forbidden")
    counter = {
        "terms": {"permits": ["ai-train"], "amount_minor": FEE},
        "payment_schedule": [
            {"due_days": 0, "amount_minor": FEE // 2},
            {"due_days": 90, "amount_minor": FEE // 2},
        ],
        "reporting": {"usage_report_days": 30},
    }
    r = c.post(f"/v1/deals/{deal['id']}/counter", headers=h["steward"], json=counter)
    assert r.json()["status"] == "countered"
    bad_schedule = {**counter, "payment_schedule": [{"due_days": 0, "amount_minor": 1}]}
    err(
        c.post(f"/v1/deals/{deal['id']}/counter", headers=h["lab"], json=bad_schedule),
        422,
        "invalid_input",
    )
    offers = c.get(f"/v1/deals/{deal['id']}/offers", headers=h["lab"]).json()
    assert [o["party"] for o in offers] == ["licensee", "coalition"]
    assert {d["field"] for d in offers[1]["diff"]} == {
        "payment_schedule",
        "reporting.usage_report_days",
        "terms.amount_minor",
    }
    assert c.post(f"/v1/deals/{deal['id']}/accept", headers=h["lab"]).json()["status"] == "accepted"
    c.post(f"/v1/deals/{deal['id']}/vote", headers=h["steward"]).raise_for_status()
    cov = c.get(f"/v1/deals/{deal['id']}/coverage", headers=h["m0"]).json()
    assert cov["works_covered"] == 4
    err(c.get(f"/v1/deals/{deal['id']}/coverage", headers=h["lab"]), 403, "forbidden")

    err(
        c.put("/v1/delegations", headers=h["m3"], json={"delegate_id": w.members[3]}),
        422,
        "invalid_input",
    )
    d = c.put(
        "/v1/delegations", headers=h["m3"], json={"delegate_id": w.members[0], "topic": "deals"}
    )
    assert d.json()["topic"] == "deals"
    assert len(c.get("/v1/delegations", headers=h["m3"]).json()) == 1
    assert len(c.get("/v1/delegations", headers=h["steward"]).json()) == 1
    err(c.put("/v1/delegations", headers=h["lab"], json={"delegate_id": 1}), 403, "forbidden")
    over = c.post(f"/v1/deals/{deal['id']}/votes", headers=h["m0"], json={"votes": {"yes": 11}})
    err(over, 422, "credits_exceeded")
    receipt = c.post(f"/v1/deals/{deal['id']}/votes", headers=h["m0"], json={"votes": {"yes": 4}})
    assert receipt.status_code == 201 and receipt.json()["credits_spent"] == 16
    err(
        c.post(f"/v1/deals/{deal['id']}/votes", headers=h["m0"], json={"choice": "no"}),
        409,
        "conflict",
    )
    c.post(f"/v1/deals/{deal['id']}/votes", headers=h["m1"], json={"votes": {"no": 2}})
    assert c.get("/v1/voice-credits", headers=h["m0"]).json()["credits"] == 84
    w.clock.advance(timedelta(hours=72))
    err(
        c.post(f"/v1/deals/{deal['id']}/votes", headers=h["m2"], json={"choice": "yes"}),
        409,
        "conflict",
    )
    closed = c.post(f"/v1/deals/{deal['id']}/vote/close", headers=h["steward"], json={}).json()
    assert closed["status"] == "approved" and closed["outcome"]["totals"]["yes"] == 8
    pid = closed["outcome"]["proposal"]
    # the members voted knowing the offer's assessment, stored with the vote
    told = c.get(f"/v1/proposals/{pid}", headers=h["m0"]).json()["question"]["assessment"]
    assert told["leverage_run"] is None and told["price_minor"] == FEE
    assert "no leverage run yet" in told["words"][0]
    assert (
        told == c.get(f"/v1/proposals/{pid}", headers=h["steward"]).json()["question"]["assessment"]
    )
    ballots = c.get(f"/v1/proposals/{pid}/ballot-file", headers=h["steward"]).json()
    assert ballots["delegations"] == [
        {"from": str(w.members[3]), "to": str(w.members[0]), "topic": "deals"}
    ]

    a = c.post(f"/v1/deals/{deal['id']}/sign", headers=h["steward"]).json()
    doc = c.get(f"/v1/agreements/{a['id']}/document", headers=h["lab"])
    forged = base64.b64encode(LAB_KEY.sign(doc.content + b"\n")).decode()
    r = c.post(f"/v1/agreements/{a['id']}/signature", headers=h["lab"], json={"signature": forged})
    err(r, 422, "verification_failed")
    err(c.post(f"/v1/agreements/{a['id']}/tokens", headers=h["lab"]), 409, "conflict")
    sig = base64.b64encode(LAB_KEY.sign(doc.content)).decode()
    r = c.post(f"/v1/agreements/{a['id']}/signature", headers=h["steward"], json={"signature": sig})
    err(r, 403, "forbidden")
    r = c.post(f"/v1/agreements/{a['id']}/signature", headers=h["lab"], json={"signature": sig})
    assert r.json()["status"] == "active"
    f = c.get(f"/v1/agreements/{a['id']}/file", headers=h["lab"])
    assert verify_file(f.content, licensee_key=public_b64(LAB_KEY)).works == 4
    rsl = c.get(f"/v1/agreements/{a['id']}/rsl", headers=h["lab"])
    assert rsl.headers["content-type"].startswith("application/rsl+xml") and "ai-train" in rsl.text
    assert c.post(f"/v1/agreements/{a['id']}/tokens", headers=h["lab"]).status_code == 201
    r = c.post(f"/v1/agreements/{a['id']}/terminate", headers=h["steward"], json={"reason": "test"})
    assert r.json()["status"] == "terminated"
    assert c.post("/v1/deals/expire", headers=h["steward"]).json() == {
        "offers_lapsed": 0,
        "agreements_expired": 0,
        "agreements_lapsed": 0,
    }


def test_charter_amendments_over_http(api) -> None:  # type: ignore[no-untyped-def]
    _, c, h = api
    err(c.post("/v1/charter", headers=h["steward"], json={}), 409, "conflict")
    err(
        c.post("/v1/proposals", headers=h["m0"], json={"changes": {"payout_floor_bp": 1}}),
        403,
        "forbidden",
    )
    msg = err(
        c.post("/v1/proposals", headers=h["steward"], json={"changes": {"payout_floor_bp": -1}}),
        422,
        "policy_invalid",
    )
    assert "payout_floor_bp" in msg
    p = c.post("/v1/proposals", headers=h["steward"], json={"changes": {"payout_floor_bp": 1000}})
    pid = p.json()["id"]
    for i in range(4):
        r = c.post(f"/v1/proposals/{pid}/ballots", headers=h[f"m{i}"], json={"choice": "yes"})
        assert r.status_code == 201
    err(
        c.post(f"/v1/proposals/{pid}/ballots", headers=h["steward"], json={"choice": "yes"}),
        403,
        "forbidden",
    )
    assert len(c.get("/v1/proposals?status=open", headers=h["m0"]).json()) == 1
    out = c.post(f"/v1/proposals/{pid}/close", headers=h["steward"], json={"early": True}).json()
    assert out["outcome"]["adopted"] is True
    assert c.get("/v1/charter").json()["payout_floor_bp"] == 1000
    assert c.get(f"/v1/proposals/{pid}", headers=h["m1"]).json()["status"] == "closed"
    err(c.delete("/v1/delegations?topic=deals", headers=h["m0"]), 404, "not_found")


def _client(w: World) -> tuple[TestClient, dict[str, dict[str, str]]]:
    keys = {"steward": w.s.keys.create(role=Role.STEWARD, subject_id=None)}
    keys["lab"] = w.s.keys.create(role=Role.LICENSEE, subject_id=w.lab)
    for i, m in enumerate(w.members):
        keys[f"m{i}"] = w.s.keys.create(role=Role.MEMBER, subject_id=m)
    return TestClient(create_app(w.s)), {
        k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()
    }


def test_secret_ballots_stay_secret_and_the_tally_is_public(make_syndic: MakeSyndic) -> None:
    secret = {"method": "quadratic", "delegation": True, "secret": True}
    w = world(make_syndic, n=4, charter={"deal_vote": secret})
    s, (m0, m1, m2, m3) = w.s, w.members
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    s.governance.delegate(m3, m0, topic="deals")
    receipts = [
        s.deals.cast_vote(deal, member_id=m0, votes={"yes": 3}),
        s.deals.cast_vote(deal, member_id=m1, votes={"no": 1}),
        s.deals.cast_vote(deal, member_id=m2, votes={"yes": 1, "no": 1}),
    ]
    w.clock.advance(timedelta(hours=72))
    pid = s.deals.close_vote(deal).outcome["proposal"]  # type: ignore[index]
    c, h = _client(w)
    with c:
        full = c.get(f"/v1/proposals/{pid}", headers=h["steward"]).json()["outcome"]
        assert full["consenting"] == [m0, m3] and full["delegation"]["carried"]
        for who in ("m1", "lab"):
            seen = c.get(f"/v1/proposals/{pid}", headers=h[who])
            if who == "lab":
                err(seen, 403, "forbidden")
                continue
            out = seen.json()["outcome"]
            assert "consenting" not in out and "delegation" not in out
            assert out["totals"] == {"yes": 7, "no": 2, "abstain": 0}
        listed = c.get("/v1/proposals", headers=h["m1"]).json()
        assert all("consenting" not in (p["outcome"] or {}) for p in listed)
        # the published ballot file: no key needed, no member ids, and it recomputes the result
        published = c.get(f"/v1/proposals/{pid}/ballot-file").json()
        assert c.get(f"/v1/proposals/{pid}/ballot-file", headers=h["m1"]).json() == published
        ids = {v["id"] for v in published["voters"]}
        assert len(ids) == 4 and not ids & {str(m) for m in w.members}
        assert published["delegations"] == [] and published["delegation"] is False
        mine = {b["voter"]: b["votes"] for b in published["ballots"]}
        for r in receipts:  # each voter finds their own ballot, and only they can
            assert mine[r.published_as] == r.votes and r.published_as != r.commitment
        assert mine[receipts[0].published_as] == {"yes": 3}
        again = tally(parse(published))
        assert (again.totals, again.turnout, again.winner) == (
            {"yes": 7, "no": 2, "abstain": 0},
            4,
            "yes",
        )
        closed = w.payloads("vote.closed")[0]
        assert (
            closed["ballot_file_sha256"] == hashlib.sha256(canonical_bytes(published)).hexdigest()
        )
        assert "delegation" not in closed["outcome"] and "consenting" not in closed["outcome"]
        steward_file = c.get(f"/v1/proposals/{pid}/ballot-file", headers=h["steward"]).json()
        assert {v["id"] for v in steward_file["voters"]} == {str(m) for m in w.members}


def test_an_open_vote_publishes_its_ballot_file_as_tallied(make_syndic: MakeSyndic) -> None:
    w = world(make_syndic, n=2)
    deal = licensee_offer(w)
    w.s.deals.open_vote(deal)
    r = w.s.deals.cast_vote(deal, member_id=w.members[0], choice="yes")
    assert r.published_as == str(w.members[0])
    w.clock.advance(timedelta(hours=72))
    pid = w.s.deals.close_vote(deal).outcome["proposal"]  # type: ignore[index]
    c, h = _client(w)
    with c:
        published = c.get(f"/v1/proposals/{pid}/ballot-file").json()
        assert published == w.s.governance.ballot_file(pid)
        assert c.get(f"/v1/proposals/{pid}", headers=h["m1"]).json()["outcome"]["consenting"] == [
            w.members[0]
        ]
        err(c.get("/v1/proposals/99/ballot-file"), 404, "not_found")


def test_a_licensee_reports_its_users(make_syndic: MakeSyndic) -> None:
    w = world(make_syndic, n=1, charter={"vlop_mau_threshold": 1000})
    c, h = _client(w)
    with c:
        r = c.put("/v1/licensees/me/users", headers=h["lab"], json={"monthly_active_users": 1000})
        assert r.json()["monthly_active_users"] == 1000
        assert w.s.deals.requires_negotiation(w.lab)
        bad = c.put("/v1/licensees/me/users", headers=h["lab"], json={"monthly_active_users": -1})
        err(bad, 422, "invalid_input")
        r = c.put("/v1/licensees/me/users", headers=h["m0"], json={"monthly_active_users": 5})
        err(r, 403, "forbidden")
    assert len(w.payloads("licensee.users_reported")) == 1


def test_agreements_are_the_parties_own(make_syndic: MakeSyndic) -> None:
    w = world(make_syndic, n=2)
    s = w.s
    other = s.deals.register_licensee(name="Other", contact="o@x", public_key=public_b64(OTHER_KEY))
    a = s.deals.sign(approved(w))
    c, h = _client(w)
    h["other"] = {
        "Authorization": f"Bearer {s.keys.create(role=Role.LICENSEE, subject_id=other.id)}"
    }
    with c:
        before = w.events()
        for path in ("", "/document", "/file", "/rsl"):
            msg = err(c.get(f"/v1/agreements/{a.id}{path}", headers=h["other"]), 403, "forbidden")
            assert msg == f"agreement {a.id} is not yours"
        err(c.post(f"/v1/agreements/{a.id}/tokens", headers=h["other"]), 403, "forbidden")
        denied = w.payloads("access.denied")
        assert len(denied) == 5 and w.events() == before + 5
        assert denied[0] == {
            "resource": f"agreement:{a.id}",
            "reason": "not a party to this agreement",
        }
        assert w.kinds()[-1] == "access.denied"
        doc = s.deals.agreement_document(a.id)
        sig = base64.b64encode(OTHER_KEY.sign(doc)).decode()
        r = c.post(f"/v1/agreements/{a.id}/signature", headers=h["other"], json={"signature": sig})
        assert err(r, 403, "forbidden") == f"agreement {a.id} is not yours"  # the policy's
        assert w.events() == before + 6  # refused before the service ran, and logged
        for path in ("", "/document", "/file", "/rsl"):
            msg = err(c.get(f"/v1/agreements/{a.id}{path}", headers=h["m0"]), 403, "forbidden")
            assert msg == "members cannot act on agreements"
        err(c.post(f"/v1/agreements/{a.id}/tokens", headers=h["m0"]), 403, "forbidden")
        err(c.get("/v1/agreements", headers=h["m0"]), 403, "forbidden")
        err(
            c.post(f"/v1/agreements/{a.id}/signature", headers=h["m0"], json={"signature": sig}),
            403,
            "forbidden",
        )
        assert w.events() == before + 6  # members' refusals write nothing
        assert s.deals.get_agreement(a.id).status == "pending"
