"""The deal state machine and offers' diffs (pure)."""

from __future__ import annotations

import pytest

from syndic.deals.offers import Installment, Offer, diff
from syndic.deals.states import MOVES, DealStatus, move
from syndic.errors import Conflict
from syndic.terms.models import Terms, Usage

PATH = [
    ("send", "draft", "offered"),
    ("counter", "offered", "countered"),
    ("counter", "countered", "countered"),
    ("accept", "countered", "accepted"),
    ("open_vote", "accepted", "voting"),
    ("approve", "voting", "approved"),
    ("sign", "approved", "signed"),
    ("countersign", "signed", "active"),
    ("expire", "active", "expired"),
]


@pytest.mark.parametrize(("action", "src", "dst"), PATH)
def test_the_happy_path(action: str, src: str, dst: str) -> None:
    assert move(1, src, action) == dst


def test_every_other_move_is_refused() -> None:
    refused = 0
    for action, table in MOVES.items():
        for status in DealStatus:
            if status in table:
                continue
            with pytest.raises(Conflict, match=f"deal 7 is {status.value}; it can be"):
                move(7, status, action)
            refused += 1
    assert refused > 100  # most (state, action) pairs are illegal
    for final in ("rejected", "expired", "terminated", "lapsed"):
        assert all(DealStatus(final) not in t for t in MOVES.values())  # nothing leaves them


def test_offer_diffs_name_each_changed_field() -> None:
    t = Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=100)
    first = Offer(terms=t).document()
    assert {c["field"] for c in diff(None, first)} >= {"terms.amount_minor", "scope"}
    second = Offer(
        terms=t.model_copy(update={"amount_minor": 200}),
        payment_schedule=[
            Installment(due_days=0, amount_minor=50),
            Installment(due_days=90, amount_minor=150),
        ],
    ).document()
    changes = diff(first, second)
    assert [c["field"] for c in changes] == ["payment_schedule", "terms.amount_minor"]
    assert changes[1] == {"field": "terms.amount_minor", "from": 100, "to": 200}
    assert diff(second, second) == []


def test_a_schedule_must_add_up_to_the_price() -> None:
    t = Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=100)
    with pytest.raises(ValueError, match="adds up to 90"):
        Offer(terms=t, payment_schedule=[Installment(due_days=0, amount_minor=90)])
    assert Offer(terms=t).schedule() == [{"due_days": 0, "amount_minor": 100}]
