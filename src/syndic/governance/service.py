"""Use cases for governance: the charter, proposals put to the members, ballots, delegation.

Votes are decided by the pure methods in ``governance.voting``: at closing, the service writes
down the exact ballot file it tallies (stored with the proposal, its hash logged), so anyone
holding that file can recompute the published outcome with ``syndic vote tally``.

Deal votes are opened and closed by ``DealService`` inside its own transactions, through the
session-level methods here (``open_in``, ``cast_in``, ``close_in``), so a deal's state and its
vote change together.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import iso
from syndic.errors import Conflict, Forbidden, InvalidInput, NotFound
from syndic.governance.charter import Charter, Method, VoteRule
from syndic.governance.models import (
    GLOBAL_TOPIC,
    CharterVersion,
    CreditSpend,
    DelegationRow,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Vote,
)
from syndic.governance.views import (
    BallotReceipt,
    CharterVersionView,
    DelegationView,
    ProposalView,
)
from syndic.governance.voting import ballot_file
from syndic.governance.voting.credits import balance, period_of
from syndic.governance.voting.majority import choice_of
from syndic.governance.voting.outcome import OPTIONS, STATUS_QUO
from syndic.governance.voting.quadratic import check_budget, cost
from syndic.members.models import Member, MemberStatus
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database

TOPICS = ("deals", "charter")


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def _label(p: Proposal) -> str:
    return f"deal {p.subject_id}" if p.kind == ProposalKind.DEAL else f"proposal {p.id}"


def _check_topic(topic: str | None) -> str:
    if topic is None:
        return GLOBAL_TOPIC
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}; use one of {', '.join(TOPICS)}")
    return topic


class GovernanceService:
    def __init__(self, db: Database, events: EventRecorder) -> None:
        self.db = db
        self.events = events

    def _now(self) -> datetime:
        return self.events.clock.now()

    # --- the charter ---------------------------------------------------------------------
    def charter(self) -> Charter:
        """The charter in force: the newest adopted version, or the defaults (version 0)."""
        with self.db.read() as s:
            return self.charter_in(s)

    @staticmethod
    def charter_in(s: Session) -> Charter:
        row = s.scalar(select(CharterVersion).order_by(CharterVersion.version.desc()).limit(1))
        return Charter() if row is None else Charter.parse(row.document)

    def charter_history(self) -> list[CharterVersionView]:
        with self.db.read() as s:
            rows = s.scalars(select(CharterVersion).order_by(CharterVersion.version))
            return [CharterVersionView.of(r) for r in rows]

    def found(self, document: Mapping[str, Any], *, actor: str = "steward") -> Charter:
        """Adopt the founding charter (version 1). Every later version needs a vote."""
        charter = Charter.parse(dict(document), version=1)
        with self.db.write() as s:
            current = s.scalar(select(func.max(CharterVersion.version)))
            if current is not None:
                raise Conflict(
                    f"the coalition already has a charter (version {current}); "
                    "change it by proposing an amendment"
                )
            idx = self.events.record(
                s,
                kind="charter.founded",
                actor=actor,
                payload={"version": 1, "charter": charter.document()},
            )
            s.add(
                CharterVersion(
                    version=1,
                    document=charter.document(),
                    adopted_at=self._now(),
                    proposal_id=None,
                    log_index=idx,
                )
            )
            return charter

    def propose_amendment(
        self, changes: Mapping[str, Any], *, member_id: int | None = None, actor: str | None = None
    ) -> ProposalView:
        """Put an amendment to the vote under the current charter's amendment rule.
        ``member_id`` None means the steward proposes."""
        with self.db.write() as s:
            charter = self.charter_in(s)
            if member_id is None:
                if "steward" not in charter.proposers:
                    raise Forbidden("under the charter only members may propose amendments")
                who = "steward"
            else:
                if "member" not in charter.proposers:
                    raise Forbidden("under the charter only the steward may propose amendments")
                m = s.get(Member, member_id)
                if m is None or m.status != MemberStatus.ACTIVE:
                    raise Forbidden(f"{member_id} is not an active member and cannot propose")
                who = f"member:{member_id}"
            proposed = charter.amended(dict(changes))
            p = self.open_in(
                s,
                kind=ProposalKind.CHARTER,
                subject_id=None,
                topic="charter",
                question={
                    "text": f"amend the charter (version {charter.version} -> {proposed.version})",
                    "base_version": charter.version,
                    "changes": dict(changes),
                    "charter": proposed.document(),
                },
                rule=charter.amendment,
                charter=charter,
                proposed_by=who,
                actor=actor or who,
            )
            return ProposalView.of(p)

    # --- proposals -----------------------------------------------------------------------
    def open_in(
        self,
        s: Session,
        *,
        kind: ProposalKind,
        subject_id: int | None,
        topic: str,
        question: dict[str, Any],
        rule: VoteRule,
        charter: Charter,
        proposed_by: str,
        actor: str,
    ) -> Proposal:
        now = self._now()
        frozen = {
            **rule.model_dump(mode="json"),
            "options": list(OPTIONS),
            "status_quo": STATUS_QUO,
            "voice_credits": charter.voice_credits,
            "credit_period_days": charter.credit_period_days,
            "unspent_credits": charter.unspent_credits,
            "period": period_of(now, charter.credit_period_days),
        }
        p = Proposal(
            kind=kind,
            subject_id=subject_id,
            topic=topic,
            question=question,
            rule=frozen,
            charter_version=charter.version,
            proposed_by=proposed_by,
            opened_at=now,
            closes_at=now + timedelta(hours=rule.hours),
            status=ProposalStatus.OPEN,
            outcome=None,
            tally_input=None,
        )
        s.add(p)
        s.flush()
        payload: dict[str, Any] = {
            "proposal": p.id,
            "kind": kind.value,
            "topic": topic,
            "charter_version": charter.version,
            "rule": frozen,
            "closes_at": iso(p.closes_at),
            "question": question,
        }
        if kind == ProposalKind.DEAL:
            payload["deal"] = subject_id
        self.events.record(s, kind="vote.opened", actor=actor, payload=payload)
        return p

    def get(self, proposal_id: int) -> ProposalView:
        with self.db.read() as s:
            return ProposalView.of(self._proposal(s, proposal_id))

    def list_proposals(self, *, status: str | None = None) -> list[ProposalView]:
        with self.db.read() as s:
            q = select(Proposal).order_by(Proposal.id)
            if status is not None:
                q = q.where(Proposal.status == status)
            return [ProposalView.of(p) for p in s.scalars(q)]

    @staticmethod
    def _proposal(s: Session, proposal_id: int) -> Proposal:
        p = s.get(Proposal, proposal_id)
        if p is None:
            raise NotFound(f"no proposal with id {proposal_id}")
        return p

    @staticmethod
    def proposal_for(s: Session, kind: ProposalKind, subject_id: int) -> Proposal | None:
        return s.scalar(
            select(Proposal)
            .where(Proposal.kind == kind, Proposal.subject_id == subject_id)
            .order_by(Proposal.id.desc())
            .limit(1)
        )

    # --- ballots -------------------------------------------------------------------------
    def cast(
        self,
        proposal_id: int,
        *,
        member_id: int,
        choice: str | None = None,
        votes: Mapping[str, int] | None = None,
        actor: str | None = None,
    ) -> BallotReceipt:
        with self.db.write() as s:
            p = self._proposal(s, proposal_id)
            return self.cast_in(s, p, member_id=member_id, choice=choice, votes=votes, actor=actor)

    def cast_in(
        self,
        s: Session,
        p: Proposal,
        *,
        member_id: int,
        choice: str | None = None,
        votes: Mapping[str, int] | None = None,
        actor: str | None = None,
    ) -> BallotReceipt:
        """Record one member's ballot: a ``choice``, or ``votes`` per option (quadratic)."""
        rule = VoteRule.model_validate({k: p.rule[k] for k in VoteRule.model_fields})
        ballot = _ballot(choice, votes, quadratic=rule.method is Method.QUADRATIC)
        now = self._now()
        if p.status != ProposalStatus.OPEN:
            raise Conflict(f"{_label(p)} is not open for voting")
        if now >= p.closes_at:
            raise Conflict(f"the vote on {_label(p)} closed at {iso(p.closes_at)}")
        member = s.get(Member, member_id)
        if member is None or member.status != MemberStatus.ACTIVE:
            raise Forbidden(f"{member_id} is not an active member and cannot vote")
        if s.scalar(select(Vote.id).where(Vote.proposal_id == p.id, Vote.member_id == member_id)):
            raise Conflict(f"member {member_id} has already voted on {_label(p)}")
        spent = 0
        if rule.method is Method.QUADRATIC:
            held = self._credits(s, member, p.rule, exclude=p.id)
            spent = check_budget(f"member {member_id}", ballot, held)
        salt = secrets.token_hex(16)
        commitment = _sha256({"proposal": p.id, "member": member_id, "votes": ballot, "salt": salt})
        s.add(
            Vote(
                proposal_id=p.id,
                member_id=member_id,
                votes=ballot,
                commitment=commitment,
                salt=salt,
                cast_at=now,
            )
        )
        if spent:
            s.add(
                CreditSpend(
                    member_id=member_id, proposal_id=p.id, period=p.rule["period"], credits=spent
                )
            )
        payload: dict[str, Any] = {
            "proposal": p.id,
            "member": member_id,
            "ballot_sha256": commitment,
        }
        if p.kind == ProposalKind.DEAL:
            payload["deal"] = p.subject_id
        if not rule.secret:
            payload["votes"] = ballot
        idx = self.events.record(
            s, kind="vote.cast", actor=actor or f"member:{member_id}", payload=payload
        )
        return BallotReceipt(
            proposal_id=p.id,
            member_id=member_id,
            votes=ballot,
            credits_spent=spent,
            commitment=commitment,
            salt=salt,
            log_index=idx,
        )

    # --- closing -------------------------------------------------------------------------
    def close(
        self, proposal_id: int, *, force: bool = False, actor: str = "steward"
    ) -> ProposalView:
        """Close a charter amendment vote (deal votes close through the deal)."""
        with self.db.write() as s:
            p = self._proposal(s, proposal_id)
            if p.kind == ProposalKind.DEAL:
                raise Conflict(
                    f"proposal {p.id} is the vote on deal {p.subject_id}; close it with the deal"
                )
            outcome = self.close_in(s, p, force=force, actor=actor)
            if outcome["passed"] and outcome["winner"] == "yes":
                self._adopt(s, p, actor=actor)
            return ProposalView.of(p)

    def close_in(
        self, s: Session, p: Proposal, *, force: bool = False, actor: str = "steward"
    ) -> dict[str, Any]:
        """Tally under the rule frozen at opening; store the ballot file and the outcome."""
        now = self._now()
        if p.status != ProposalStatus.OPEN:
            raise Conflict(f"{_label(p)} is not open for voting")
        if not force and now < p.closes_at:
            raise Conflict(f"the vote on {_label(p)} is open until {iso(p.closes_at)}")
        data = self._ballot_file(s, p)
        outcome = ballot_file.tally(ballot_file.parse(data))
        delegation = outcome.delegation
        if outcome.method == "quadratic" and delegation is not None:
            for carrier_voters in delegation.carried.values():
                for voter in carrier_voters:
                    spent = cost(outcome.counted[voter])
                    if spent:
                        s.add(
                            CreditSpend(
                                member_id=int(voter),
                                proposal_id=p.id,
                                period=p.rule["period"],
                                credits=spent,
                            )
                        )
        result = outcome.to_dict()
        result["consenting"] = sorted(
            int(v) for v, votes in outcome.counted.items() if choice_of(votes) == "yes"
        )
        result["closed_at"] = iso(now)
        p.status = ProposalStatus.CLOSED
        p.outcome = result
        p.tally_input = data
        payload: dict[str, Any] = {
            "proposal": p.id,
            "outcome": {k: v for k, v in result.items() if k != "consenting"},
            "ballot_file_sha256": _sha256(data),
        }
        if p.kind == ProposalKind.DEAL:
            payload["deal"] = p.subject_id
        self.events.record(s, kind="vote.closed", actor=actor, payload=payload)
        return result

    def _adopt(self, s: Session, p: Proposal, *, actor: str) -> None:
        current = self.charter_in(s)
        assert p.outcome is not None
        if current.version != p.question["base_version"]:
            p.outcome = {
                **p.outcome,
                "adopted": False,
                "reason": f"superseded: the charter is now version {current.version}",
            }
            return
        new = current.amended(p.question["changes"])
        idx = self.events.record(
            s,
            kind="charter.amended",
            actor=actor,
            payload={
                "version": new.version,
                "proposal": p.id,
                "changes": p.question["changes"],
                "charter": new.document(),
            },
        )
        s.add(
            CharterVersion(
                version=new.version,
                document=new.document(),
                adopted_at=self._now(),
                proposal_id=p.id,
                log_index=idx,
            )
        )
        p.outcome = {**p.outcome, "adopted": True, "charter_version": new.version}

    def ballot_file(self, proposal_id: int) -> dict[str, Any]:
        """The ballot file a closed vote was tallied from (``syndic vote tally`` reads it)."""
        with self.db.read() as s:
            p = self._proposal(s, proposal_id)
            if p.tally_input is None:
                raise Conflict(f"the vote on {_label(p)} has not closed yet")
            return p.tally_input

    def _ballot_file(self, s: Session, p: Proposal) -> dict[str, Any]:
        rule = p.rule
        members = list(
            s.scalars(
                select(Member).where(Member.status == MemberStatus.ACTIVE).order_by(Member.id)
            )
        )
        active = {m.id for m in members}
        quadratic = rule["method"] == Method.QUADRATIC
        voters: list[dict[str, Any]] = []
        for m in members:
            v: dict[str, Any] = {"id": str(m.id)}
            if quadratic:
                v["credits"] = self._credits(s, m, rule, exclude=p.id)
            voters.append(v)
        ballots = [
            {"voter": str(b.member_id), "votes": b.votes}
            for b in s.scalars(
                select(Vote).where(Vote.proposal_id == p.id).order_by(Vote.member_id)
            )
            if b.member_id in active
        ]
        delegations = []
        if rule["delegation"]:
            # the newest delegation per member and topic (two writers racing on PostgreSQL
            # could each have left one in force)
            latest: dict[tuple[int, str], DelegationRow] = {}
            for d in s.scalars(
                select(DelegationRow)
                .where(DelegationRow.revoked_at.is_(None))
                .order_by(DelegationRow.id)
            ):
                latest[(d.member_id, d.topic)] = d
            for (member, topic), d in sorted(latest.items()):
                if member in active and d.delegate_id in active:
                    entry: dict[str, Any] = {"from": str(member), "to": str(d.delegate_id)}
                    if topic != GLOBAL_TOPIC:
                        entry["topic"] = topic
                    delegations.append(entry)
        doc: dict[str, Any] = {
            "format": ballot_file.FORMAT,
            "question": f"{_label(p)}: {p.question.get('text', '')}".rstrip(": "),
            "topic": p.topic,
            "method": rule["method"],
            "delegation": rule["delegation"],
            "options": rule["options"],
            "status_quo": rule["status_quo"],
            "quorum_bp": rule["quorum_bp"],
            "threshold_bp": rule["threshold_bp"],
            "credits": rule["voice_credits"],
            "voters": voters,
            "ballots": ballots,
            "delegations": delegations,
        }
        return doc

    # --- voice credits -------------------------------------------------------------------
    def _credits(
        self, s: Session, member: Member, rule: Mapping[str, Any], *, exclude: int | None = None
    ) -> int:
        q = select(CreditSpend.period, func.sum(CreditSpend.credits)).where(
            CreditSpend.member_id == member.id
        )
        if exclude is not None:
            q = q.where(CreditSpend.proposal_id != exclude)
        spent = {int(p): int(n) for p, n in s.execute(q.group_by(CreditSpend.period))}
        return balance(
            per_period=rule["voice_credits"],
            unspent=rule["unspent_credits"],
            spent=spent,
            first_period=period_of(member.joined_at, rule["credit_period_days"]),
            period=rule["period"],
        )

    def credits(self, member_id: int) -> int:
        """Voice credits the member holds now, under the charter in force."""
        with self.db.read() as s:
            m = s.get(Member, member_id)
            if m is None:
                raise NotFound(f"no member with id {member_id}")
            c = self.charter_in(s)
            rule = {
                "voice_credits": c.voice_credits,
                "unspent_credits": c.unspent_credits,
                "credit_period_days": c.credit_period_days,
                "period": period_of(self._now(), c.credit_period_days),
            }
            return self._credits(s, m, rule)

    # --- delegation ----------------------------------------------------------------------
    def delegate(
        self,
        member_id: int,
        delegate_id: int,
        *,
        topic: str | None = None,
        actor: str | None = None,
    ) -> DelegationView:
        """``member_id`` lets ``delegate_id`` carry their vote (on ``topic``, or on all)."""
        if member_id == delegate_id:
            raise InvalidInput("a member cannot delegate to themselves")
        key = _check_topic(topic)
        with self.db.write() as s:
            for who in (member_id, delegate_id):
                m = s.get(Member, who)
                if m is None:
                    raise NotFound(f"no member with id {who}")
                if m.status != MemberStatus.ACTIVE:
                    raise Conflict(f"member {who} has left")
            old = self._active_delegation(s, member_id, key)
            now = self._now()
            if old is not None:
                old.revoked_at = now
            row = DelegationRow(
                member_id=member_id,
                delegate_id=delegate_id,
                topic=key,
                created_at=now,
                revoked_at=None,
            )
            s.add(row)
            s.flush()
            self.events.record(
                s,
                kind="delegation.set",
                actor=actor or f"member:{member_id}",
                payload={
                    "delegation": row.id,
                    "member": member_id,
                    "delegate": delegate_id,
                    "topic": topic,
                    "replaces": None if old is None else old.id,
                },
            )
            return DelegationView.of(row)

    def revoke_delegation(
        self, member_id: int, *, topic: str | None = None, actor: str | None = None
    ) -> DelegationView:
        key = _check_topic(topic)
        with self.db.write() as s:
            row = self._active_delegation(s, member_id, key)
            if row is None:
                scope = "global" if topic is None else f"{topic!r}"
                raise NotFound(f"member {member_id} has no {scope} delegation to revoke")
            row.revoked_at = self._now()
            self.events.record(
                s,
                kind="delegation.revoked",
                actor=actor or f"member:{member_id}",
                payload={"delegation": row.id, "member": member_id, "topic": topic},
            )
            return DelegationView.of(row)

    @staticmethod
    def _active_delegation(s: Session, member_id: int, topic: str) -> DelegationRow | None:
        return s.scalar(
            select(DelegationRow).where(
                DelegationRow.member_id == member_id,
                DelegationRow.topic == topic,
                DelegationRow.revoked_at.is_(None),
            )
        )

    def delegations(self, *, member_id: int | None = None) -> list[DelegationView]:
        """Delegations in force (one member's, or everyone's)."""
        with self.db.read() as s:
            q = select(DelegationRow).where(DelegationRow.revoked_at.is_(None))
            if member_id is not None:
                q = q.where(DelegationRow.member_id == member_id)
            return [DelegationView.of(d) for d in s.scalars(q.order_by(DelegationRow.id))]


def _ballot(
    choice: str | None, votes: Mapping[str, int] | None, *, quadratic: bool
) -> dict[str, int]:
    """A ballot as votes per option; a plain choice is one vote. Refuses malformed ballots."""
    if (choice is None) == (votes is None):
        raise InvalidInput("a ballot is either a choice or votes per option")
    if choice is not None:
        if choice not in OPTIONS:
            raise InvalidInput(f"a vote is one of {', '.join(OPTIONS)}, not {choice!r}")
        return {choice: 1}
    assert votes is not None
    unknown = sorted(set(votes) - set(OPTIONS))
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not an option; options are {', '.join(OPTIONS)}")
    cost(votes)  # whole numbers >= 0
    clean = {o: n for o, n in votes.items() if n}
    if not quadratic and (len(clean) != 1 or next(iter(clean.values())) != 1):
        raise InvalidInput("this vote is one person, one vote: choose exactly one option")
    return dict(sorted(clean.items()))
