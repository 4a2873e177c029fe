"""Offers and counter-offers with diffs, turns, deadlines and the deal state machine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syndic.deals.offers import Offer
from syndic.deals.states import Party
from syndic.errors import Conflict, Forbidden, InvalidInput, NotFound
from syndic.terms.models import Terms, Usage
from tests.coalition import FEE, licensee_offer, terms, world
from tests.conftest import MakeSyndic


def test_rounds_of_offers_each_with_its_diff(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic)
    s = w.s
    deal = licensee_offer(w, 600_00)
    before = w.events()
    with pytest.raises(Forbidden, match="is the licensee's own; it is the coalition's turn"):
        s.deals.counter(
            deal, Offer(terms=terms(700_00)), party=Party.LICENSEE, licensee_id=w.lab, actor="x"
        )
    with pytest.raises(Forbidden, match="licensee's own"):
        s.deals.accept(deal, licensee_id=w.lab, actor="x")
    other = s.deals.register_licensee(name="Other", contact="o@x")
    with pytest.raises(Forbidden, match="not this licensee's"):
        s.deals.accept(deal, licensee_id=other.id, actor="x")
    assert w.events() == before + 1  # only the other licensee's registration

    s.deals.counter(deal, Offer(terms=terms(FEE)), party=Party.COALITION, actor="steward")
    with pytest.raises(Forbidden, match="coalition's own; it is the licensee's turn"):
        s.deals.counter(deal, Offer(terms=terms(900_00)), party=Party.COALITION, actor="steward")
    with pytest.raises(InvalidInput, match="must change something"):
        s.deals.counter(
            deal, Offer(terms=terms(FEE)), party=Party.LICENSEE, licensee_id=w.lab, actor="l"
        )
    s.deals.counter(
        deal,
        Offer(terms=terms(800_00), scope=["c"]),
        party=Party.LICENSEE,
        licensee_id=w.lab,
        actor="l",
    )
    s.deals.counter(deal, Offer(terms=terms(900_00)), party=Party.COALITION, actor="steward")
    d = s.deals.accept(deal, licensee_id=w.lab, actor=f"licensee:{w.lab}")
    assert (d.status, d.round, d.terms["amount_minor"]) == ("accepted", 4, 900_00)

    offers = s.deals.offers(deal)
    assert [(o.round, o.party) for o in offers] == [
        (1, "licensee"),
        (2, "coalition"),
        (3, "licensee"),
        (4, "coalition"),
    ]
    assert offers[3].diff == [
        {
            "field": "payment_schedule",
            "from": [{"due_days": 0, "amount_minor": 800_00}],
            "to": [{"due_days": 0, "amount_minor": 900_00}],
        },
        {"field": "scope", "from": ["c"], "to": []},
        {"field": "terms.amount_minor", "from": 800_00, "to": 900_00},
    ]
    assert offers[0].offer["payment_schedule"] == [{"due_days": 0, "amount_minor": 600_00}]
    assert w.kinds().count("offer.countered") == 3
    assert w.payloads("offer.accepted") == [{"deal": deal, "round": 4, "licensee": w.lab}]
    assert s.deals.open_vote(deal).status == "voting"


def test_offers_in_another_currency_are_refused(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=1)
    usd = Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=5, currency="USD")
    with pytest.raises(InvalidInput, match="coalition's currency, EUR, not USD"):
        w.s.deals.offer(licensee_id=w.lab, terms=usd, actor="l")
    with pytest.raises(InvalidInput, match="at least one usage"):
        w.s.deals.offer(licensee_id=w.lab, terms=Terms(), actor="l")
    with pytest.raises(NotFound):
        w.s.deals.offer(licensee_id=99, terms=terms(), actor="l")
    assert w.s.deals.list_deals() == []


def test_deadlines_lapse_offers(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=1, charter={"offer_valid_hours": 24})
    deal = licensee_offer(w)
    assert w.s.deals.get_deal(deal).offer_expires_at == w.clock.now() + timedelta(hours=24)
    w.clock.advance(timedelta(hours=24))
    before = w.events()
    with pytest.raises(Conflict, match="expired at"):
        w.s.deals.counter(deal, Offer(terms=terms(5)), party=Party.COALITION, actor="steward")
    with pytest.raises(Conflict, match="expired at"):
        w.s.deals.open_vote(deal)
    assert w.events() == before and w.s.deals.get_deal(deal).status == "offered"
    assert w.s.deals.expire_due() == {
        "offers_lapsed": 1,
        "agreements_expired": 0,
        "agreements_lapsed": 0,
    }
    assert w.s.deals.get_deal(deal).status == "lapsed"
    with pytest.raises(Conflict, match="deal 1 is lapsed"):
        w.s.deals.counter(deal, Offer(terms=terms(5)), party=Party.COALITION, actor="steward")
    assert w.s.deals.expire_due() == {
        "offers_lapsed": 0,
        "agreements_expired": 0,
        "agreements_lapsed": 0,
    }


def test_illegal_transitions(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=1)
    s = w.s
    draft = s.deals.draft(licensee_id=w.lab, offer=Offer(terms=terms()))
    assert draft.status == "draft" and s.deals.offers(draft.id) == []
    with pytest.raises(Conflict, match="is draft; it can be accepted only when"):
        s.deals.accept(draft.id, licensee_id=w.lab, actor="l")
    with pytest.raises(Conflict, match="is draft; it can be put to a vote only when"):
        s.deals.open_vote(draft.id)
    sent = s.deals.send(draft.id)
    assert (sent.status, sent.round, sent.offer_by) == ("offered", 1, "coalition")
    with pytest.raises(Conflict, match="licensee has not accepted"):
        s.deals.open_vote(draft.id)
    with pytest.raises(Conflict, match="is offered; it can be signed only when approved"):
        s.deals.sign(draft.id)
    s.deals.accept(draft.id, licensee_id=w.lab, actor="l")
    with pytest.raises(Conflict, match="is accepted; it can be countered only when"):
        s.deals.counter(draft.id, Offer(terms=terms(5)), party=Party.COALITION, actor="steward")
    s.deals.open_vote(draft.id)
    with pytest.raises(Conflict, match="is voting; it can be accepted"):
        s.deals.accept(draft.id, licensee_id=w.lab, actor="l")
    with pytest.raises(NotFound):
        s.deals.countersign(99, "AAAA", licensee_id=w.lab, actor="l")
