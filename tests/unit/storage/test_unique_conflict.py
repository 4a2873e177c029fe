"""The safety net under the locks: a row a unique constraint refuses is a ``Conflict`` (409 at
the API, one line at the CLI), and the transaction writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syndic.errors import Conflict
from syndic.governance.events import VoteCast
from syndic.governance.models import DelegationRow, Vote
from tests.coalition import licensee_offer, world
from tests.conftest import MakeSyndic


def test_a_unique_violation_is_a_conflict_and_writes_nothing(
    make_syndic: MakeSyndic, backend: str
) -> None:
    w = world(make_syndic, n=2)
    s, (m1, m2) = w.s, w.members
    deal = licensee_offer(w)
    s.deals.open_vote(deal)
    r = s.deals.cast_vote(deal, member_id=m1, choice="yes")

    def second_ballot() -> None:  # as a writer that checked before the first one committed
        with s.db.write() as sess:
            event = VoteCast(proposal=r.proposal_id, member=m1, ballot_sha256="0" * 64)
            s.events.record(sess, event, actor="x")
            sess.add(
                Vote(
                    proposal_id=r.proposal_id,
                    member_id=m1,
                    votes={"no": 1},
                    commitment="0" * 64,
                    salt="0" * 32,
                    cast_at=w.clock.now(),
                )
            )

    def second_delegation() -> None:
        with s.db.write() as sess:
            sess.add(
                DelegationRow(
                    member_id=m1,
                    delegate_id=m2,
                    topic="deals",
                    created_at=w.clock.now() + timedelta(seconds=1),
                    revoked_at=None,
                )
            )

    before = w.events()
    with pytest.raises(Conflict, match="proposal_ballots made at the same time got there first"):
        second_ballot()
    assert w.events() == before
    s.governance.delegate(m1, m2, topic="deals")
    # at most one delegation in force per member and topic, whoever writes it
    with pytest.raises(Conflict, match="delegations made at the same time"):
        second_delegation()
    assert len(s.governance.delegations(member_id=m1)) == 1
