"""deals/coverage.py answers which works a signed agreement covers, for whom."""

from __future__ import annotations

from syndic.deals.coverage import covered_works, covers_member, shares_by_member
from syndic.terms.models import Usage
from tests.coalition import FEE, active_agreement, world
from tests.conftest import MakeSyndic


def test_one_module_answers_what_an_agreement_covers(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=3, mandates={2: {"prohibited_usages": ["ai-all"]}})
    s, ms = w.s, w.members
    a = active_agreement(w)
    with s.db.read() as sess:
        assert [covers_member(sess, a, m) for m in ms] == [True, True, False]
        assert shares_by_member(sess, a) == s.deals.members_of(a) == s.payouts.members_of(a)
        first = covered_works(sess, a, limit=1)
        rest = covered_works(sess, a, after=first[-1][1])
    assert len(first) + len(rest) == s.deals.get_agreement(a).works_count
    terms = s.deals.agreement_terms(a)
    assert terms.amount_minor == FEE and Usage.AI_TRAIN in terms.permits
    grant = s.deals.grant(s.deals.issue_token(a))
    assert grant.agreement_id == a and "ai-train" in grant.usages
