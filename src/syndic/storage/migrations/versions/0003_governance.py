"""governance: charter, proposals, ballots, delegations; deal negotiation rounds

Revision ID: 0003_governance
Revises: 0002_provenance

Deal votes move from ``ballots`` (one choice per member per deal) to governance proposals;
existing votes are carried over as majority-rule proposals with the quorum they were opened
with, under the defaults a charter starts with (collective binding, the EU threshold for very
large platforms), and a closed vote's outcome is rewritten in the form signing reads
(``electorate``, ``winner``, the members who voted yes). Deals gain their negotiation state
(who offered last, the round, the offer's deadline, payment schedule and reporting duties);
agreements gain the licensee's signature.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_governance"
down_revision = "0002_provenance"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OPTIONS = ["yes", "no", "abstain"]


# SQLite alters a table in "batch" mode by rebuilding it (copy, drop, rename); dropping
# ``deals`` while ballots, agreements and offers point at it breaks their foreign keys. So
# ``deals`` is only ever changed in place: columns added with a default, dropped natively
# (SQLite >= 3.35). SQLite keeps those defaults; PostgreSQL drops them once rows are filled.
def _is_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _drop_column(table: str, column: str) -> None:
    if _is_sqlite():
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def _drop_default(table: str, column: str, type_: Any) -> None:
    if not _is_sqlite():
        op.alter_column(table, column, existing_type=type_, server_default=None)


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("question", sa.JSON(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("charter_version", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("tally_input", sa.JSON(), nullable=True),
        sa.Column("published_tally", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index("ix_proposals_subject", ["kind", "subject_id"], unique=False)

    op.create_table(
        "charters",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("adopted_at", sa.DateTime(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("log_index", _BIG, nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "proposal_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("votes", sa.JSON(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("cast_at", sa.DateTime(), nullable=False),
        sa.Column("credits_held", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "member_id"),
    )
    with op.batch_alter_table("proposal_ballots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_ballots_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["delegate_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delegations_member_id"), ["member_id"], unique=False)
    # at most one delegation in force per member and topic (two racing writers cannot both win)
    op.create_index(
        "uq_delegations_in_force",
        "delegations",
        ["member_id", "topic"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )

    op.create_table(
        "voice_credit_spends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("spent_at", sa.DateTime(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "proposal_id"),
    )
    with op.batch_alter_table("voice_credit_spends", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voice_credit_spends_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "deal_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("log_index", _BIG, nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "round"),
    )
    with op.batch_alter_table("deal_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_offers_deal_id"), ["deal_id"], unique=False)

    op.add_column("deals", sa.Column("clauses", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column(
        "deals",
        sa.Column("offer_by", sa.String(length=16), nullable=False, server_default="licensee"),
    )
    op.add_column("deals", sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("deals", sa.Column("offer_expires_at", sa.DateTime(), nullable=True))
    op.add_column("agreements", sa.Column("licensee_signature", sa.Text(), nullable=True))
    op.add_column("agreements", sa.Column("licensee_signed_at", sa.DateTime(), nullable=True))

    _carry_over_votes()

    _drop_default("deals", "clauses", sa.JSON())
    _drop_default("deals", "offer_by", sa.String(length=16))
    _drop_default("deals", "round", sa.Integer())
    _drop_column("deals", "quorum_bp")
    op.drop_index("ix_ballots_deal_id", table_name="ballots")
    op.drop_table("ballots")


def _tables() -> dict[str, sa.TableClause]:
    return {
        "deals": sa.table(
            "deals",
            sa.column("id", sa.Integer),
            sa.column("terms", sa.JSON),
            sa.column("status", sa.String),
            sa.column("created_at", sa.DateTime),
            sa.column("quorum_bp", sa.Integer),
            sa.column("vote_closes_at", sa.DateTime),
            sa.column("outcome", sa.JSON),
            sa.column("clauses", sa.JSON),
            sa.column("offer_by", sa.String),
            sa.column("round", sa.Integer),
        ),
        "agreements": sa.table(
            "agreements", sa.column("deal_id", sa.Integer), sa.column("status", sa.String)
        ),
        "ballots": sa.table(
            "ballots",
            sa.column("deal_id", sa.Integer),
            sa.column("member_id", sa.Integer),
            sa.column("choice", sa.String),
            sa.column("cast_at", sa.DateTime),
        ),
        "proposals": sa.table(
            "proposals",
            sa.column("id", sa.Integer),
            sa.column("kind", sa.String),
            sa.column("subject_id", sa.Integer),
            sa.column("topic", sa.String),
            sa.column("question", sa.JSON),
            sa.column("rule", sa.JSON),
            sa.column("charter_version", sa.Integer),
            sa.column("proposed_by", sa.String),
            sa.column("opened_at", sa.DateTime),
            sa.column("closes_at", sa.DateTime),
            sa.column("status", sa.String),
            sa.column("outcome", sa.JSON),
            sa.column("tally_input", sa.JSON),
        ),
        "proposal_ballots": sa.table(
            "proposal_ballots",
            sa.column("proposal_id", sa.Integer),
            sa.column("member_id", sa.Integer),
            sa.column("votes", sa.JSON),
            sa.column("commitment", sa.String),
            sa.column("salt", sa.String),
            sa.column("cast_at", sa.DateTime),
        ),
    }


def _majority_rule(quorum_bp: int, hours: int) -> dict[str, Any]:
    """The rule a carried-over vote was held under: the defaults, as a charter starts."""
    return {
        "method": "majority",
        "quorum_bp": quorum_bp,
        "threshold_bp": 5000,
        "delegation": False,
        "secret": False,
        "hours": hours,
        "options": _OPTIONS,
        "status_quo": "no",
        "voice_credits": 100,
        "credit_period_days": 90,
        "unspent_credits": "expire",
        "period": 0,
        "early_close": False,
        "binding": "collective",
        "vlop_mau_threshold": 45_000_000,
        "open_licence": None,
        "charter_version": 0,
    }


def _outcome(old: dict[str, Any], quorum_bp: int, consenting: list[int]) -> dict[str, Any]:
    """An outcome written before 0003 (``eligible``, ``approved``) in today's form."""
    totals = {o: int((old.get("totals") or {}).get(o, 0)) for o in _OPTIONS}
    approved = bool(old.get("approved"))
    turnout = int(old.get("turnout", sum(totals.values())))
    return {
        "method": "majority",
        "options": list(_OPTIONS),
        "totals": totals,
        "winner": "yes" if approved else "no",
        "passed": approved,
        "reason": "decided before migration 0003 (simple majority with quorum)",
        "electorate": int(old.get("electorate", old.get("eligible", turnout))),
        "turnout": turnout,
        "quorum_bp": int(old.get("quorum_bp", quorum_bp)),
        "quorum_met": bool(old.get("quorum_met", approved)),
        "threshold_bp": 5000,
        "consenting": consenting,
    }


def _carry_over_votes() -> None:
    """Existing deals: negotiation fields filled in; each deal vote becomes a proposal with
    its ballots; a signed deal whose agreement is active is now ``active``."""
    conn = op.get_bind()
    t = _tables()
    deals, ballots, proposals, votes = (
        t["deals"],
        t["ballots"],
        t["proposals"],
        t["proposal_ballots"],
    )
    active = {
        d
        for (d,) in conn.execute(
            sa.select(t["agreements"].c.deal_id).where(t["agreements"].c.status == "active")
        )
    }
    for row in conn.execute(sa.select(deals)).mappings().all():
        status = "active" if row["status"] == "signed" and row["id"] in active else row["status"]
        amount = int((row["terms"] or {}).get("amount_minor", 0))
        clauses = {
            "payment_schedule": [{"due_days": 0, "amount_minor": amount}] if amount else [],
            "reporting": {
                "usage_report_days": 90,
                "report_monthly_active_users": True,
                "audit_rights": True,
            },
        }
        conn.execute(
            deals.update()
            .where(deals.c.id == row["id"])
            .values(clauses=clauses, offer_by="licensee", round=1, status=status)
        )
        if row["vote_closes_at"] is None:
            continue
        opened = row["created_at"]
        hours = max(1, int((row["vote_closes_at"] - opened) / timedelta(hours=1)))
        cast = (
            conn.execute(
                sa.select(ballots)
                .where(ballots.c.deal_id == row["id"])
                .order_by(ballots.c.member_id)
            )
            .mappings()
            .all()
        )
        yes = [int(b["member_id"]) for b in cast if b["choice"] == "yes"]
        outcome = None
        if row["outcome"] is not None:
            outcome = _outcome(row["outcome"], int(row["quorum_bp"]), yes)
        conn.execute(
            proposals.insert().values(
                kind="deal",
                subject_id=row["id"],
                topic="deals",
                question={"text": f"deal {row['id']} (carried over from ballots)"},
                rule=_majority_rule(int(row["quorum_bp"]), hours),
                charter_version=0,
                proposed_by="steward",
                opened_at=opened,
                closes_at=row["vote_closes_at"],
                status="open" if row["status"] == "voting" else "closed",
                outcome=outcome,
                tally_input=None,
            )
        )
        # lightweight tables carry no primary key, so read the id back
        pid = conn.execute(
            sa.select(sa.func.max(proposals.c.id)).where(proposals.c.subject_id == row["id"])
        ).scalar_one()
        if outcome is not None:
            shown = {k: v for k, v in outcome.items() if k != "consenting"}
            conn.execute(
                deals.update()
                .where(deals.c.id == row["id"])
                .values(
                    outcome={
                        **shown,
                        "proposal": pid,
                        "approved": outcome["passed"],
                        "charter_version": 0,
                    }
                )
            )
        for b in cast:
            salt = secrets.token_hex(16)
            ballot = {b["choice"]: 1}
            body = json.dumps(
                {"member": b["member_id"], "proposal": pid, "salt": salt, "votes": ballot},
                sort_keys=True,
                separators=(",", ":"),
            )
            conn.execute(
                votes.insert().values(
                    proposal_id=pid,
                    member_id=b["member_id"],
                    votes=ballot,
                    commitment=hashlib.sha256(body.encode()).hexdigest(),
                    salt=salt,
                    cast_at=b["cast_at"],
                )
            )


def downgrade() -> None:
    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("cast_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "member_id"),
    )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballots_deal_id"), ["deal_id"], unique=False)
    op.add_column(
        "deals", sa.Column("quorum_bp", sa.Integer(), nullable=False, server_default="5000")
    )
    _carry_back_votes()
    _drop_default("deals", "quorum_bp", sa.Integer())
    for column in ("offer_expires_at", "round", "offer_by", "clauses"):
        _drop_column("deals", column)
    for column in ("licensee_signed_at", "licensee_signature"):
        _drop_column("agreements", column)
    op.drop_index("uq_delegations_in_force", table_name="delegations")
    for table, index in (
        ("deal_offers", "ix_deal_offers_deal_id"),
        ("voice_credit_spends", "ix_voice_credit_spends_member_id"),
        ("delegations", "ix_delegations_member_id"),
        ("proposal_ballots", "ix_proposal_ballots_proposal_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
    op.drop_table("charters")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_subject")
    op.drop_table("proposals")


def _carry_back_votes() -> None:
    """Plain one-choice ballots on deals go back to ``ballots``; statuses the old schema did
    not know fall back to the nearest one it did."""
    conn = op.get_bind()
    t = _tables()
    deals, ballots, proposals, votes = (
        t["deals"],
        t["ballots"],
        t["proposals"],
        t["proposal_ballots"],
    )
    fallback = {"active": "signed", "expired": "signed", "terminated": "signed"}
    for status_from, status_to in fallback.items():
        conn.execute(deals.update().where(deals.c.status == status_from).values(status=status_to))
    conn.execute(
        deals.update()
        .where(deals.c.status.in_(["draft", "countered", "accepted", "lapsed"]))
        .values(status="offered")
    )
    for p in conn.execute(sa.select(proposals).where(proposals.c.kind == "deal")).mappings():
        conn.execute(
            deals.update()
            .where(deals.c.id == p["subject_id"])
            .values(quorum_bp=int(p["rule"].get("quorum_bp", 5000)))
        )
        for v in conn.execute(sa.select(votes).where(votes.c.proposal_id == p["id"])).mappings():
            choices = [o for o, n in v["votes"].items() if n]
            if len(choices) == 1 and choices[0] in _OPTIONS:
                conn.execute(
                    ballots.insert().values(
                        deal_id=p["subject_id"],
                        member_id=v["member_id"],
                        choice=choices[0],
                        cast_at=v["cast_at"],
                    )
                )
