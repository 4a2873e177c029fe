"""Two writers at once on PostgreSQL (two ``Syndic`` objects, two threads, one database).

Each race is run a few times; whichever writer wins, the invariants hold: one agreement per
deal, one closing per vote, no ballot receipted and left uncounted, at most one delegation in
force, and a loser gets a clear ``Conflict``, never a raw database error. Nothing here depends
on timing: the assertions hold for every interleaving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from syndic.app import Syndic
from syndic.errors import Conflict, SyndicError
from tests.coalition import World, approved, licensee_offer, world
from tests.conftest import MakeSyndic

pytestmark = pytest.mark.postgres
ROUNDS = 5


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def two(make_syndic: MakeSyndic, backend: str) -> Iterator[tuple[World, Syndic]]:
    """A coalition whose votes may close early, and a second ``Syndic`` on the same database
    (another process, say)."""
    w = world(make_syndic, n=4, charter={"deal_vote": {"early_close": True}})
    other = Syndic.from_settings(w.s.settings, clock=w.clock)
    yield w, other
    other.close()


def race(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the calls in threads released together; each result is ("ok", value) or
    ("error", exception). Anything but a ``SyndicError`` fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("", None)] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = ("ok", call())
        except SyndicError as exc:
            results[i] = ("error", exc)
        except Exception as exc:  # reported as the failure it is
            results[i] = ("crash", exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    crashes = [r[1] for r in results if r[0] == "crash"]
    assert not crashes, f"not a SyndicError: {crashes!r}"
    return results


def one_wins(results: list[tuple[str, Any]], loser: str) -> None:
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    (err,) = [r[1] for r in results if r[0] == "error"]
    assert isinstance(err, Conflict) and loser in err.message, err


def test_two_signatures_of_one_deal(two: tuple[World, Syndic]) -> None:
    w, other = two
    for _ in range(ROUNDS):
        deal = approved(w)
        one_wins(race(partial(w.s.deals.sign, deal), partial(other.deals.sign, deal)), "is signed")
    assert len(w.s.deals.list_agreements()) == ROUNDS
    assert w.kinds().count("agreement.signed") == ROUNDS


def test_two_ballots_by_one_member(two: tuple[World, Syndic]) -> None:
    w, other = two
    m = w.members[0]
    for _ in range(ROUNDS):
        deal = licensee_offer(w)
        w.s.deals.open_vote(deal)
        one_wins(
            race(
                partial(w.s.deals.cast_vote, deal, member_id=m, choice="yes"),
                partial(other.deals.cast_vote, deal, member_id=m, choice="no"),
            ),
            "has already voted",
        )
    assert w.kinds().count("vote.cast") == ROUNDS


def test_a_ballot_racing_the_close_is_counted_or_refused(two: tuple[World, Syndic]) -> None:
    w, other = two
    for _ in range(ROUNDS):
        deal = licensee_offer(w)
        w.s.deals.open_vote(deal)
        for m in w.members[:3]:
            w.s.deals.cast_vote(deal, member_id=m, choice="yes")
        last = w.members[3]
        cast, close = race(
            partial(other.deals.cast_vote, deal, member_id=last, choice="no"),
            partial(w.s.deals.close_vote, deal, force=True),
        )
        if cast[0] == "ok":  # it came first: the close waited for it and counted it
            assert close[0] == "ok" and close[1].outcome["totals"]["no"] == 1
        else:  # the close came first: the ballot is refused, not receipted and lost
            assert isinstance(cast[1], Conflict) and "not open for voting" in cast[1].message
            assert close[0] == "ok" and close[1].outcome["totals"]["no"] == 0
    cast_ballots = len(w.payloads("vote.cast"))
    counted = sum(p["outcome"]["turnout"] for p in w.payloads("vote.closed"))
    assert cast_ballots == counted


def test_two_closings_of_one_vote(two: tuple[World, Syndic]) -> None:
    w, other = two
    for _ in range(ROUNDS):
        deal = licensee_offer(w)
        w.s.deals.open_vote(deal)
        for m in w.members:
            w.s.deals.cast_vote(deal, member_id=m, choice="yes")
        one_wins(
            race(
                partial(w.s.deals.close_vote, deal, force=True),
                partial(other.deals.close_vote, deal, force=True),
            ),
            "not open for voting",
        )
    closed = [p["proposal"] for p in w.payloads("vote.closed")]
    assert len(closed) == len(set(closed)) == ROUNDS


def test_two_delegations_at_once_leave_one_in_force(two: tuple[World, Syndic]) -> None:
    w, other = two
    m0, m1, m2, _ = w.members
    for _ in range(ROUNDS):
        results = race(
            lambda: w.s.governance.delegate(m0, m1, topic="deals"),
            lambda: other.governance.delegate(m0, m2, topic="deals"),
        )
        assert all(r[0] == "ok" for r in results)  # one replaces the other
        assert len(w.s.governance.delegations(member_id=m0)) == 1
    w.s.governance.revoke_delegation(m0, topic="deals")
    assert w.s.governance.delegations(member_id=m0) == []
