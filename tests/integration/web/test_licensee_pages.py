"""A licensee's pages over HTTP: offers, counter and accept, signing (by the page's form and
by a signature file made offline), tokens, the dataset, users; and what is refused."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.auth.models import Role
from syndic.deals.offers import Offer
from syndic.deals.states import Party
from syndic.keys import public_b64
from tests.coalition import FEE, LAB_KEY, OTHER_KEY, World, approved, licensee_offer, terms, world
from tests.conftest import MakeSyndic
from tests.integration.web.helpers import Visitor, csrf_of

OFFER = {"permits": ["ai-train"], "payment_type": "training", "amount": "1500.00"}


@dataclass
class Lab:
    w: World
    v: Visitor


@pytest.fixture
def lab(make_syndic: MakeSyndic) -> Lab:
    w = world(make_syndic, n=3)
    w.s.terms.publish(terms())
    v = Visitor(w.s)
    v.sign_in(Role.LICENSEE, w.lab)
    return Lab(w, v)


def _signature(lab: Lab, agreement: int, key: Ed25519PrivateKey = LAB_KEY) -> bytes:
    return key.sign(lab.w.s.deals.agreement_document(agreement))


def test_the_licensee_lands_on_their_page_with_the_catalogue(lab: Lab) -> None:
    page = lab.v.get("/licensee")
    assert page.status_code == 200
    assert "3 works in the pool" in page.text and "W0" in page.text  # a sample title
    assert "Works per year" in page.text


def test_an_offer_made_on_the_page_is_the_services_offer(lab: Lab) -> None:
    done = lab.v.submit("/licensee/offer", "/licensee/offer", OFFER, follow_redirects=False)
    assert done.status_code == 303
    deal_id = int(done.headers["location"].rsplit("/", 1)[1])
    deal = lab.w.s.deals.get_deal(deal_id)
    assert deal.licensee_id == lab.w.lab and deal.terms["amount_minor"] == 150_000
    assert lab.w.kinds()[-1] == "offer.made"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({**OFFER, "permits": []}, "permits-error"),
        ({**OFFER, "amount": "lots"}, "amount-error"),
        ({**OFFER, "duration_days": "0"}, "duration_days-error"),
    ],
)
def test_a_bad_offer_is_shown_next_to_its_field_and_writes_nothing(
    lab: Lab, form: dict[str, object], field: str
) -> None:
    before = lab.w.events()
    r = lab.v.submit("/licensee/offer", "/licensee/offer", form)
    assert r.status_code == 422 and f'id="{field}"' in r.text
    assert lab.w.events() == before


def test_counter_and_accept_on_the_deal_page(lab: Lab) -> None:
    deal = licensee_offer(lab.w)
    coalition = Offer.build(terms=terms(FEE * 3))
    lab.w.s.deals.counter(deal, coalition, party=Party.COALITION, actor="steward")
    page = f"/licensee/deals/{deal}"
    assert "Accept offer" in lab.v.get(page).text
    r = lab.v.submit(page, f"{page}/counter", {**OFFER, "amount": "2000"}, follow_redirects=False)
    assert r.status_code == 303
    assert lab.w.s.deals.get_deal(deal).terms["amount_minor"] == 200_000
    lab.w.s.deals.counter(deal, coalition, party=Party.COALITION, actor="steward")
    r = lab.v.submit(page, f"{page}/accept", {}, follow_redirects=False)
    assert r.status_code == 303 and lab.w.s.deals.get_deal(deal).status == "accepted"
    # not the licensee's turn now: refused with the service's words, nothing written
    before = lab.w.events()
    assert lab.v.submit(page, f"{page}/accept", {}).status_code == 409
    assert lab.w.events() == before


def test_signing_a_signature_made_offline_and_then_the_dataset(lab: Lab) -> None:
    agreement = lab.w.s.deals.sign(approved(lab.w)).id
    page = f"/licensee/agreements/{agreement}"
    assert lab.v.get(f"{page}/document").content == lab.w.s.deals.agreement_document(agreement)
    wrong = base64.b64encode(_signature(lab, agreement, OTHER_KEY)).decode()
    before = lab.w.events()
    r = lab.v.submit(page, f"{page}/signature", {"signature": wrong})
    assert r.status_code == 422 and "does not verify" in r.text
    assert lab.w.events() == before and lab.w.s.deals.get_agreement(agreement).status == "pending"
    files = {"signature_file": ("sig.bin", _signature(lab, agreement), "application/octet-stream")}
    r = lab.v.submit(page, f"{page}/signature", {}, files=files, follow_redirects=False)
    assert r.status_code == 303 and lab.w.s.deals.get_agreement(agreement).status == "active"

    shown = lab.v.submit(page, f"{page}/tokens", {})
    assert shown.status_code == 201 and "shown this once" in shown.text
    token = shown.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert lab.w.s.deals.grant(token).agreement_id == agreement
    assert token not in lab.v.get(page).text  # shown once only

    data = lab.v.submit(page, f"{page}/dataset.jsonl", {})
    assert data.status_code == 200 and data.headers["content-disposition"].startswith("attachment")
    lines = [json.loads(x) for x in data.text.splitlines()]
    assert len(lines) == 3 == lab.w.s.deals.get_agreement(agreement).works_count

    lab.w.s.payouts.book_revenue(agreement, 400_00)
    home = lab.v.get("/licensee").text
    assert "400.00 EUR" in home and "600.00 EUR" in home  # paid, and still owed


def test_monthly_users_and_a_key_made_elsewhere(lab: Lab) -> None:
    r = lab.v.submit("/licensee", "/licensee/users", {"monthly_active_users": "12,000"})
    assert (
        r.status_code == 200 and lab.w.s.deals.get_licensee(lab.w.lab).monthly_active_users == 12000
    )
    before = lab.w.events()
    assert (
        lab.v.submit("/licensee", "/licensee/users", {"monthly_active_users": "-3"}).status_code
        == 422
    )
    assert lab.v.submit("/licensee", "/licensee/key", {"public_key": "nope"}).status_code == 422
    assert lab.w.events() == before
    lab.v.submit("/licensee", "/licensee/key", {"public_key": public_b64(OTHER_KEY)})
    assert lab.w.s.deals.get_licensee(lab.w.lab).public_key == public_b64(OTHER_KEY)


def test_another_licensee_and_a_member_are_refused(lab: Lab) -> None:
    agreement = lab.w.s.deals.sign(approved(lab.w)).id
    deal = lab.w.s.deals.get_agreement(agreement).deal_id
    other = lab.w.s.deals.register_licensee(name="B", contact="b@example.org")
    b = Visitor(lab.w.s)
    b.sign_in(Role.LICENSEE, other.id)
    for url in (
        f"/licensee/agreements/{agreement}",
        f"/licensee/deals/{deal}",
        f"/licensee/agreements/{agreement}/document",
    ):
        r = b.get(url)
        assert r.status_code == 403 and "sha256" not in r.text
    assert "access.denied" in lab.w.kinds()
    token = csrf_of(b.get("/licensee").text)  # B's own valid token
    before = lab.w.events()
    r = b.client.post(f"/licensee/agreements/{agreement}/tokens", data={"csrf": token})
    assert r.status_code == 403
    member = Visitor(lab.w.s)
    member.sign_in(Role.MEMBER, lab.w.members[0])
    assert member.get("/licensee").status_code == 403
    assert member.get(f"/licensee/agreements/{agreement}").status_code == 403
    new = lab.w.kinds()[before:]
    assert "token.issued" not in new and new.count("access.denied") == 1  # B's POST, logged


def test_forged_csrf_is_refused_on_every_licensee_form(lab: Lab) -> None:
    agreement = lab.w.s.deals.sign(approved(lab.w)).id
    deal = lab.w.s.deals.get_agreement(agreement).deal_id
    before = lab.w.events()
    for action in (
        "/licensee/offer",
        "/licensee/users",
        "/licensee/key",
        f"/licensee/deals/{deal}/counter",
        f"/licensee/deals/{deal}/accept",
        f"/licensee/agreements/{agreement}/signature",
        f"/licensee/agreements/{agreement}/tokens",
        f"/licensee/agreements/{agreement}/dataset.jsonl",
    ):
        r = lab.v.client.post(action, data={"csrf": "forged", **OFFER})
        assert r.status_code == 403, action
    assert lab.w.events() == before
