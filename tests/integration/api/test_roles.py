"""Every route, every kind of caller: the answer docs/api.md documents, decided before the
body is read and before any state is revealed."""

from __future__ import annotations

import base64

from syndic.deals.models import Deal
from tests.conftest import MakeSyndic
from tests.integration.api.callers import (
    CALLERS,
    coalition,
    documented,
    expected,
    operations,
)


def test_the_docs_table_says_what_each_route_declares() -> None:
    table = documented()
    declared = {(m, r.path): ", ".join(r.access.who()) for m, r in operations()}
    assert declared == table


def test_every_route_answers_every_caller_as_documented(make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    table = documented()
    wrong = []
    with c.client as http:
        for method, route in operations():
            path = c.path(route)
            for caller in CALLERS:
                r = http.request(method, path, headers=c.headers(caller), json={})
                want = expected(table[(method, route.path)], caller, route.path)
                if want is None:
                    ok = r.status_code not in (401, 403) and r.status_code < 500
                else:
                    ok = r.status_code == want
                    code = r.json()["error"]["code"]
                    ok = ok and code in ("unauthorized", "forbidden")
                if not ok:
                    wrong.append(f"{method} {path} as {caller}: {r.status_code} {r.text[:120]}")
    assert wrong == []


def test_authorization_comes_before_the_body(make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    junk = b"{not json"
    with c.client as http:
        for caller, status in (("no key", 401), ("member", 403), ("licensee", 403)):
            r = http.post(
                "/v1/deals/drafts",
                content=junk,
                headers={**c.headers(caller), "Content-Type": "application/json"},
            )
            assert r.status_code == status, (caller, r.text)
        r = http.post(
            "/v1/deals/drafts",
            content=junk,
            headers={**c.headers("steward"), "Content-Type": "application/json"},
        )
        assert r.status_code == 422
        # a role that may not act is refused whatever the id; an owner's bad id is a 422
        assert http.get("/v1/agreements/x", headers=c.headers("member")).status_code == 403
        assert http.get("/v1/agreements/x", headers=c.headers("licensee")).status_code == 422


def test_a_member_key_reads_no_deal_nor_offer(make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    deal = c.ids["deal_id"]
    with c.client as http:
        for path in ("/v1/deals", f"/v1/deals/{deal}", f"/v1/deals/{deal}/offers"):
            r = http.get(path, headers=c.headers("member"))
            assert r.status_code == 403, path
            assert "licence" not in r.text and "amount" not in r.text


def test_another_licensee_learns_nothing_of_a_deal_state(make_syndic: MakeSyndic) -> None:
    """The deal is signed: acting on it is a 409 for its own licensee, and the same 403 for
    another licensee whatever the state, so a stranger cannot probe it."""
    c = coalition(make_syndic)
    deal, agreement = c.ids["deal_id"], c.ids["agreement_id"]
    sig = {"signature": base64.b64encode(b"x" * 64).decode()}
    offer = {"terms": {"permits": ["ai-train"], "amount_minor": 100}}
    with c.client as http:
        own = http.post(f"/v1/deals/{deal}/accept", headers=c.headers("licensee"))
        assert own.status_code == 409
        for path, body in (
            (f"/v1/deals/{deal}/accept", {}),
            (f"/v1/deals/{deal}/counter", offer),
            (f"/v1/agreements/{agreement}/signature", sig),
        ):
            r = http.post(path, headers=c.headers("another licensee"), json=body)
            assert r.status_code == 403, (path, r.text)
            assert "signed" not in r.text and "state" not in r.text
    with c.w.s.db.read() as session:
        assert session.get(Deal, deal) is not None


def test_the_token_endpoint_checks_the_client_id(make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    key = c.keys["licensee"]
    form = {"grant_type": "client_credentials"}

    def basic(client_id: object) -> dict[str, str]:
        raw = f"{client_id}:{key}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    lab, other = c.w.lab, c.w.lab + 1
    with c.client as http:
        right = http.post("/v1/olp/token", data=form, headers=basic(lab))
        assert right.status_code == 400 and right.json()["error"]["code"] == "invalid_grant"
        for wrong_id in (other, 999, "lab", ""):
            r = http.post("/v1/olp/token", data=form, headers=basic(wrong_id))
            assert r.status_code == 401, (wrong_id, r.text)
            assert r.json()["error"]["message"] == "invalid client credentials"
        in_form = {**form, "client_id": str(other), "client_secret": str(key)}
        assert http.post("/v1/olp/token", data=in_form).status_code == 401
        # who asks is checked before what is asked: a stranger learns no grant_type rules
        r = http.post("/v1/olp/token", data={"grant_type": "password"}, headers=basic(other))
        assert r.status_code == 401
