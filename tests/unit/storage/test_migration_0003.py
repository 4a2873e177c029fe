"""Migration 0003 carries deal votes cast under the old schema over to proposals, and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from syndic.deals.agreement import verify_file
from syndic.terms.registry import terms_document
from tests.coalition import countersign, world
from tests.coalition import terms as T
from tests.conftest import MakeSyndic
from tests.migrations import migrate_to

AT = datetime(2026, 1, 1, 12, tzinfo=UTC).replace(tzinfo=None)


def test_old_ballots_become_proposals_and_go_back(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=3)
    s, ms = w.s, w.members
    migrate_to(s.db, "0002_provenance", down=True)
    terms = json.dumps({"permits": ["ai-train"], "amount_minor": 500, "currency": "EUR"})
    with s.db._write_engine.begin() as conn:
        for deal_id, status, closes in (
            (1, "voting", AT + timedelta(hours=24)),
            (2, "offered", None),
        ):
            conn.execute(
                text(
                    "INSERT INTO deals (id, licensee_id, terms, scope, status, created_at,"
                    " quorum_bp, vote_closes_at, outcome)"
                    " VALUES (:id, :lic, :terms, '[]', :status, :at, 6000, :closes, NULL)"
                ),
                {
                    "id": deal_id,
                    "lic": w.lab,
                    "terms": terms,
                    "status": status,
                    "at": AT,
                    "closes": closes,
                },
            )
        for member, choice in zip(ms, ("yes", "yes", "no"), strict=True):
            conn.execute(
                text(
                    "INSERT INTO ballots (deal_id, member_id, choice, cast_at)"
                    " VALUES (1, :m, :c, :at)"
                ),
                {"m": member, "c": choice, "at": AT},
            )
    s.db.migrate()

    d1, d2 = s.deals.get_deal(1), s.deals.get_deal(2)
    assert (d1.status, d1.round, d1.offer_by) == ("voting", 1, "licensee")
    assert d2.clauses["payment_schedule"] == [{"due_days": 0, "amount_minor": 500}]
    proposals = s.governance.list_proposals()
    assert len(proposals) == 1 and proposals[0].rule["quorum_bp"] == 6000
    assert proposals[0].closes_at == (AT + timedelta(hours=24)).replace(tzinfo=UTC)
    # the carried-over vote closes under its old rule: 3 of 3 voted, 2 yes
    closed = s.deals.close_vote(1, force=True)
    assert closed.status == "approved"
    assert closed.outcome is not None and closed.outcome["totals"] == {
        "yes": 2,
        "no": 1,
        "abstain": 0,
    }

    migrate_to(s.db, "0002_provenance", down=True)
    with s.db._write_engine.begin() as conn:
        rows = conn.execute(
            text("SELECT member_id, choice FROM ballots WHERE deal_id = 1 ORDER BY member_id")
        ).all()
        quorum = conn.execute(text("SELECT quorum_bp FROM deals WHERE id = 1")).scalar_one()
    assert [tuple(r) for r in rows] == list(zip(ms, ("yes", "yes", "no"), strict=True))
    assert quorum == 6000
    s.db.migrate()


def test_a_deal_approved_before_0003_can_be_signed(make_syndic: MakeSyndic, backend: str) -> None:
    w = world(make_syndic, n=3)
    s, ms = w.s, w.members
    migrate_to(s.db, "0002_provenance", down=True)
    terms = json.dumps(terms_document(T(500)))
    outcome = {
        "method": "simple-majority",
        "eligible": 3,
        "turnout": 3,
        "quorum_bp": 5000,
        "quorum_met": True,
        "totals": {"yes": 2, "no": 1, "abstain": 0},
        "approved": True,
    }
    with s.db._write_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deals (id, licensee_id, terms, scope, status, created_at,"
                " quorum_bp, vote_closes_at, outcome)"
                " VALUES (1, :lic, :terms, '[]', 'approved', :at, 5000, :closes, :outcome)"
            ),
            {
                "lic": w.lab,
                "terms": terms,
                "at": AT,
                "closes": AT + timedelta(hours=24),
                "outcome": json.dumps(outcome),
            },
        )
        for member, choice in zip(ms, ("yes", "no", "yes"), strict=True):
            conn.execute(
                text(
                    "INSERT INTO ballots (deal_id, member_id, choice, cast_at)"
                    " VALUES (1, :m, :c, :at)"
                ),
                {"m": member, "c": choice, "at": AT},
            )
    s.db.migrate()

    (p,) = s.governance.list_proposals()
    assert p.outcome is not None
    assert (p.outcome["method"], p.outcome["electorate"]) == ("majority", 3)
    assert (p.outcome["winner"], p.outcome["passed"]) == ("yes", True)
    assert p.outcome["consenting"] == [ms[0], ms[2]]
    assert (p.rule["binding"], p.rule["vlop_mau_threshold"]) == ("collective", 45_000_000)
    d = s.deals.get_deal(1)
    assert d.outcome is not None and d.outcome["electorate"] == 3 and d.outcome["proposal"] == p.id
    a = s.deals.sign(1)
    assert a.works_count == 3
    doc = json.loads(s.deals.agreement_document(a.id))
    assert doc["governance"]["electorate"] == 3 and doc["governance"]["method"] == "majority"
    countersign(w, a.id)
    v = verify_file(s.deals.agreement_path(a.id).read_bytes())
    assert (v.agreement, v.works) == (a.id, 3)
    assert s.deals.get_deal(1).status == "active"
