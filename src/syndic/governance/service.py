"""Use cases for governance: the charter, proposals put to the members, ballots, delegation.

Votes are decided by the pure methods in ``governance.voting``: at closing, the service writes
down the exact ballot file it tallies (stored with the proposal, its hash logged), so anyone
holding that file can recompute the published outcome with ``syndic vote tally``. A closed
vote is read as a ``VoteResult`` (``governance.results``).

A deal's vote is opened, cast on and closed as a step of the deal's own use case: those
methods take the caller's ``tx``, so a deal's state and its vote change together. Every write
that checks and then writes first locks the rows it checks (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time): the proposal for a ballot or a closing, the
member for a spend of voice credits or a delegation.

Ballot secrecy (``secret`` in the rule) is toward the log and the members: the log holds each
ballot's salted commitment, members see totals only, and the ballot file published for a
secret vote names voters by pseudonyms that only each voter can recognise (see
``ballot_pseudonym``), with delegated votes resolved into plain ballots.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import iso
from syndic.errors import Conflict, Forbidden, InvalidInput, NotFound
from syndic.governance.charter import Charter, VoteRule
from syndic.governance.events import (
    CharterAmended,
    CharterFounded,
    DelegationRevoked,
    DelegationSet,
    VoteCast,
    VoteClosed,
    VoteOpened,
)
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
from syndic.governance.results import FrozenRule, VoteResult, hidden
from syndic.governance.views import (
    BallotReceipt,
    CharterVersionView,
    DelegationView,
    ProposalView,
)
from syndic.governance.voting import ballot_file
from syndic.governance.voting.credits import balance, period_of
from syndic.governance.voting.majority import choice_of
from syndic.governance.voting.outcome import OPTIONS, STATUS_QUO, Outcome
from syndic.governance.voting.quadratic import check_budget, cost
from syndic.members.models import Member, MemberStatus
from syndic.provenance.unit import Transactions, Tx

TOPICS = ("deals", "charter")


class CreditRule(Protocol):
    """How voice credits are given: a charter, or the rule frozen into a proposal."""

    @property
    def voice_credits(self) -> int: ...
    @property
    def credit_period_days(self) -> int: ...
    @property
    def unspent_credits(self) -> str: ...


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def ballot_pseudonym(commitment: str, salt: str) -> str:
    """How a secret ballot is named in the published ballot file: SHA-256 over the canonical
    JSON ``{"ballot": commitment, "salt": salt}``. The commitment is public (in the log), the
    salt only in the voter's receipt, so only the voter can find their own ballot."""
    return _sha256({"ballot": commitment, "salt": salt})


def _label(p: Proposal) -> str:
    return f"deal {p.subject_id}" if p.kind == ProposalKind.DEAL else f"proposal {p.id}"


def _check_topic(topic: str | None) -> str:
    if topic is None:
        return GLOBAL_TOPIC
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}; use one of {', '.join(TOPICS)}")
    return topic


def _charter(session: Session) -> Charter:
    row = session.scalar(select(CharterVersion).order_by(CharterVersion.version.desc()).limit(1))
    return Charter() if row is None else Charter.parse(row.document)


def _freeze(rule: VoteRule, charter: Charter, now: datetime, kind: ProposalKind) -> dict[str, Any]:
    """The rule as it is frozen into a proposal (and logged with ``vote.opened``)."""
    frozen = {
        **rule.model_dump(mode="json"),
        "options": list(OPTIONS),
        "status_quo": STATUS_QUO,
        "voice_credits": charter.voice_credits,
        "credit_period_days": charter.credit_period_days,
        "unspent_credits": charter.unspent_credits,
        "period": period_of(now, charter.credit_period_days),
    }
    if kind == ProposalKind.DEAL:
        # what signing an approved deal depends on is fixed now, with the vote
        frozen |= {
            "binding": charter.binding.value,
            "vlop_mau_threshold": charter.vlop_mau_threshold,
            "open_licence": charter.open_licence,
            "charter_version": charter.version,
        }
    return frozen


class GovernanceService:
    def __init__(self, txs: Transactions) -> None:
        self.txs = txs

    def _now(self) -> datetime:
        return self.txs.clock.now()

    # --- the charter ---------------------------------------------------------------------
    def charter(self, *, tx: Tx | None = None) -> Charter:
        """The charter in force: the newest adopted version, or the defaults (version 0)."""
        if tx is not None:
            return _charter(tx.session)
        with self.txs.read() as session:
            return _charter(session)

    def market_leader(self) -> tuple[str | None, int]:
        """The charter's open licence (if any) and the threshold above which a builder is a
        very large platform and needs a negotiated licence (published with the terms)."""
        c = self.charter()
        return c.open_licence, c.vlop_mau_threshold

    def charter_history(self) -> list[CharterVersionView]:
        with self.txs.read() as session:
            rows = session.scalars(select(CharterVersion).order_by(CharterVersion.version))
            return [CharterVersionView.of(r) for r in rows]

    def found(self, document: Mapping[str, Any], *, actor: str = "steward") -> Charter:
        """Adopt the founding charter (version 1). Every later version needs a vote."""
        charter = Charter.parse(document, version=1)  # refuses anything but an object
        with self.txs.write() as tx:
            current = tx.session.scalar(select(func.max(CharterVersion.version)))
            if current is not None:
                raise Conflict(
                    f"the coalition already has a charter (version {current}); "
                    "change it by proposing an amendment"
                )
            idx = tx.record(CharterFounded(version=1, charter=charter.document()), actor=actor)
            tx.session.add(
                CharterVersion(
                    version=1,
                    document=charter.document(),
                    adopted_at=tx.now(),
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
        with self.txs.write() as tx:
            charter = _charter(tx.session)
            who = self._proposer(tx.session, charter, member_id)
            proposed = charter.amended(dict(changes))
            p = self._open(
                tx,
                kind=ProposalKind.CHARTER,
                subject_id=None,
                topic="charter",
                question={
                    "text": f"amend the charter (version {charter.version} -> {proposed.version})",
                    "base_version": charter.version,
                    "changes": dict(changes),
                    "charter": proposed.document(),
                },
                charter=charter,
                proposed_by=who,
                actor=actor or who,
            )
            return ProposalView.of(p)

    @staticmethod
    def _proposer(session: Session, charter: Charter, member_id: int | None) -> str:
        """Who proposes an amendment, if the charter lets them."""
        if member_id is None:
            if "steward" not in charter.proposers:
                raise Forbidden("under the charter only members may propose amendments")
            return "steward"
        if "member" not in charter.proposers:
            raise Forbidden("under the charter only the steward may propose amendments")
        m = session.get(Member, member_id)
        if m is None or m.status != MemberStatus.ACTIVE:
            raise Forbidden(f"{member_id} is not an active member and cannot propose")
        return f"member:{member_id}"

    # --- proposals -----------------------------------------------------------------------
    def open_deal_vote(
        self, deal_id: int, *, question: dict[str, Any], proposed_by: str, tx: Tx
    ) -> ProposalView:
        """Put deal ``deal_id`` to the members under the charter's rule for deals (a step of
        the deal's own use case)."""
        charter = _charter(tx.session)
        p = self._open(
            tx,
            kind=ProposalKind.DEAL,
            subject_id=deal_id,
            topic="deals",
            question=question,
            charter=charter,
            proposed_by=proposed_by,
            actor=proposed_by,
        )
        return ProposalView.of(p)

    def _open(
        self,
        tx: Tx,
        *,
        kind: ProposalKind,
        subject_id: int | None,
        topic: str,
        question: dict[str, Any],
        charter: Charter,
        proposed_by: str,
        actor: str,
    ) -> Proposal:
        # the charter names the rule for each kind of question
        rule = charter.amendment if kind == ProposalKind.CHARTER else charter.deal_vote
        now = tx.now()
        frozen = _freeze(rule, charter, now, kind)
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
            published_tally=None,
        )
        tx.session.add(p)
        tx.session.flush()
        event = VoteOpened(
            proposal=p.id,
            proposal_kind=kind.value,
            topic=topic,
            charter_version=charter.version,
            rule=frozen,
            closes_at=iso(p.closes_at),
            question=question,
            deal=subject_id if kind == ProposalKind.DEAL else None,
        )
        tx.record(event, actor=actor)
        return p

    def get(self, proposal_id: int) -> ProposalView:
        with self.txs.read() as session:
            return ProposalView.of(self._proposal(session, proposal_id))

    def list_proposals(self, *, status: str | None = None) -> list[ProposalView]:
        with self.txs.read() as session:
            q = select(Proposal).order_by(Proposal.id)
            if status is not None:
                q = q.where(Proposal.status == status)
            return [ProposalView.of(p) for p in session.scalars(q)]

    @staticmethod
    def _proposal(session: Session, proposal_id: int, *, lock: bool = False) -> Proposal:
        """The proposal; ``lock`` holds its row until the transaction ends (for a write)."""
        p = session.get(Proposal, proposal_id, with_for_update=lock or None, populate_existing=lock)
        if p is None:
            raise NotFound(f"no proposal with id {proposal_id}")
        return p

    @staticmethod
    def _deal_proposal(session: Session, deal_id: int, *, lock: bool = False) -> Proposal:
        """The newest vote on deal ``deal_id``; ``Conflict`` when it was never put to one."""
        q = (
            select(Proposal)
            .where(Proposal.kind == ProposalKind.DEAL, Proposal.subject_id == deal_id)
            .order_by(Proposal.id.desc())
            .limit(1)
        )
        if lock:
            q = q.with_for_update().execution_options(populate_existing=True)
        p = session.scalar(q)
        if p is None:
            raise Conflict(f"deal {deal_id} has not been put to a vote")
        return p

    def deal_vote(self, deal_id: int) -> ProposalView:
        """The newest vote on deal ``deal_id``."""
        with self.txs.read() as session:
            return ProposalView.of(self._deal_proposal(session, deal_id))

    def deal_result(self, deal_id: int, *, tx: Tx) -> VoteResult:
        """How the members decided on deal ``deal_id`` (its vote has closed)."""
        return VoteResult.of(self._deal_proposal(tx.session, deal_id))

    # --- ballots -------------------------------------------------------------------------
    def cast(
        self,
        proposal_id: int,
        *,
        member_id: int,
        choice: str | None = None,
        votes: Mapping[str, int] | None = None,
        actor: str | None = None,
        tx: Tx | None = None,
    ) -> BallotReceipt:
        """Record one member's ballot: a ``choice``, or ``votes`` per option (quadratic)."""
        with self.txs.step(tx) as t:
            p = self._proposal(t.session, proposal_id, lock=True)
            return self._cast(t, p, member_id=member_id, choice=choice, votes=votes, actor=actor)

    def cast_on_deal(
        self,
        deal_id: int,
        *,
        member_id: int,
        choice: str | None = None,
        votes: Mapping[str, int] | None = None,
        actor: str | None = None,
        tx: Tx,
    ) -> BallotReceipt:
        """A ballot on deal ``deal_id``'s vote (a step of the deal's use case)."""
        p = self._deal_proposal(tx.session, deal_id, lock=True)
        return self._cast(tx, p, member_id=member_id, choice=choice, votes=votes, actor=actor)

    def _cast(
        self,
        tx: Tx,
        p: Proposal,
        *,
        member_id: int,
        choice: str | None,
        votes: Mapping[str, int] | None,
        actor: str | None,
    ) -> BallotReceipt:
        session = tx.session
        rule = FrozenRule.of(p)
        quadratic = rule.voting.spends_credits
        ballot = _ballot(choice, votes, per_head=rule.voting.per_head())
        now = tx.now()
        self._check_open(p, now)
        # the member's row is locked for a spend, so two ballots cannot spend one credit twice
        member = session.get(
            Member, member_id, with_for_update=quadratic or None, populate_existing=quadratic
        )
        if member is None or member.status != MemberStatus.ACTIVE:
            raise Forbidden(f"{member_id} is not an active member and cannot vote")
        if session.scalar(
            select(Vote.id).where(Vote.proposal_id == p.id, Vote.member_id == member_id)
        ):
            raise Conflict(f"member {member_id} has already voted on {_label(p)}")
        spent = 0
        held: int | None = None
        if quadratic:
            held = self._credits(session, member, rule)
            spent = check_budget(f"member {member_id}", ballot, held)
        salt = secrets.token_hex(16)
        commitment = _sha256({"proposal": p.id, "member": member_id, "votes": ballot, "salt": salt})
        session.add(
            Vote(
                proposal_id=p.id,
                member_id=member_id,
                votes=ballot,
                commitment=commitment,
                salt=salt,
                cast_at=now,
                credits_held=held,
            )
        )
        if spent:
            session.add(
                CreditSpend(member_id=member_id, proposal_id=p.id, spent_at=now, credits=spent)
            )
        event = VoteCast(
            proposal=p.id,
            member=member_id,
            ballot_sha256=commitment,
            deal=p.subject_id if p.kind == ProposalKind.DEAL else None,
            votes=None if rule.secret else ballot,
        )
        idx = tx.record(event, actor=actor or f"member:{member_id}")
        return BallotReceipt(
            proposal_id=p.id,
            member_id=member_id,
            votes=ballot,
            credits_spent=spent,
            commitment=commitment,
            salt=salt,
            published_as=ballot_pseudonym(commitment, salt) if rule.secret else str(member_id),
            log_index=idx,
        )

    @staticmethod
    def _check_open(p: Proposal, now: datetime) -> None:
        if p.status != ProposalStatus.OPEN:
            raise Conflict(f"{_label(p)} is not open for voting")
        if now >= p.closes_at:
            raise Conflict(f"the vote on {_label(p)} closed at {iso(p.closes_at)}")

    # --- closing -------------------------------------------------------------------------
    def close(
        self, proposal_id: int, *, force: bool = False, actor: str = "steward"
    ) -> ProposalView:
        """Close a charter amendment vote (deal votes close through the deal)."""
        with self.txs.write() as tx:
            p = self._proposal(tx.session, proposal_id, lock=True)
            if p.kind == ProposalKind.DEAL:
                raise Conflict(
                    f"proposal {p.id} is the vote on deal {p.subject_id}; close it with the deal"
                )
            if self._close(tx, p, force=force, actor=actor).approved:
                self._adopt(tx, p, actor=actor)
            return ProposalView.of(p)

    def close_deal_vote(
        self, deal_id: int, *, force: bool = False, actor: str = "steward", tx: Tx
    ) -> VoteResult:
        """Close deal ``deal_id``'s vote (a step of the deal's use case)."""
        p = self._deal_proposal(tx.session, deal_id, lock=True)
        return self._close(tx, p, force=force, actor=actor)

    def _close(self, tx: Tx, p: Proposal, *, force: bool, actor: str) -> VoteResult:
        """Tally under the rule frozen at opening; store the ballot file and the outcome.
        The caller holds ``p`` locked.

        Before its deadline a vote closes (``force``) only once every member has voted, or
        when its rule allows closing early (``early_close``)."""
        session = tx.session
        now = tx.now()
        rule = FrozenRule.of(p)
        if p.status != ProposalStatus.OPEN:
            raise Conflict(f"{_label(p)} is not open for voting")
        early = now < p.closes_at
        if early:
            self._may_close_early(session, p, rule, force=force)
        data = self._ballot_file(session, p, rule)
        outcome = ballot_file.tally(ballot_file.parse(data))
        if rule.voting.spends_credits:
            self._charge_carried(session, p, outcome, now)
        result = outcome.to_dict()
        result["consenting"] = sorted(
            int(v) for v, votes in outcome.counted.items() if choice_of(votes) == "yes"
        )
        result["closed_at"] = iso(now)
        published = self._sealed(session, p, data, outcome) if rule.secret else data
        p.status = ProposalStatus.CLOSED
        p.outcome = result
        p.tally_input = data
        p.published_tally = published if rule.secret else None
        event = VoteClosed(
            proposal=p.id,
            outcome=hidden(result) if rule.secret else without(result, "consenting"),
            ballot_file_sha256=_sha256(published),
            early=early,
            deal=p.subject_id if p.kind == ProposalKind.DEAL else None,
        )
        tx.record(event, actor=actor)
        return VoteResult.of(p)

    def _may_close_early(
        self, session: Session, p: Proposal, rule: FrozenRule, *, force: bool
    ) -> None:
        if not force:
            raise Conflict(f"the vote on {_label(p)} is open until {iso(p.closes_at)}")
        if rule.early_close:
            return
        voted, electorate = self._turnout(session, p)
        if voted < electorate:
            raise Conflict(
                f"the vote on {_label(p)} is open until {iso(p.closes_at)}; it can "
                f"close early only once every member has voted ({voted} of "
                f"{electorate} have)"
            )

    @staticmethod
    def _charge_carried(session: Session, p: Proposal, outcome: Outcome, now: datetime) -> None:
        """Voice credits spent by votes carried by delegation are charged to their voters."""
        delegation = outcome.delegation
        if delegation is None:
            return
        for carrier_voters in delegation.carried.values():
            for voter in carrier_voters:
                spent = cost(outcome.counted[voter])
                if spent:
                    session.add(
                        CreditSpend(
                            member_id=int(voter), proposal_id=p.id, spent_at=now, credits=spent
                        )
                    )

    @staticmethod
    def _sealed(
        session: Session, p: Proposal, data: dict[str, Any], outcome: Outcome
    ) -> dict[str, Any]:
        seals = {
            str(v.member_id): (v.commitment, v.salt)
            for v in session.scalars(select(Vote).where(Vote.proposal_id == p.id))
        }
        return _published(data, outcome, seals)

    @staticmethod
    def _turnout(session: Session, p: Proposal) -> tuple[int, int]:
        """(members who voted, members) among the active members."""
        active = select(Member.id).where(Member.status == MemberStatus.ACTIVE)
        electorate = session.scalar(select(func.count()).select_from(active.subquery()))
        voted = session.scalar(
            select(func.count(Vote.id)).where(Vote.proposal_id == p.id, Vote.member_id.in_(active))
        )
        return int(voted or 0), int(electorate or 0)

    def _adopt(self, tx: Tx, p: Proposal, *, actor: str) -> None:
        current = _charter(tx.session)
        assert p.outcome is not None
        if current.version != p.question["base_version"]:
            p.outcome = {
                **p.outcome,
                "adopted": False,
                "reason": f"superseded: the charter is now version {current.version}",
            }
            return
        new = current.amended(p.question["changes"])
        event = CharterAmended(
            version=new.version,
            proposal=p.id,
            changes=p.question["changes"],
            charter=new.document(),
        )
        idx = tx.record(event, actor=actor)
        tx.session.add(
            CharterVersion(
                version=new.version,
                document=new.document(),
                adopted_at=tx.now(),
                proposal_id=p.id,
                log_index=idx,
            )
        )
        p.outcome = {**p.outcome, "adopted": True, "charter_version": new.version}

    def ballot_file(self, proposal_id: int, *, published: bool = False) -> dict[str, Any]:
        """The ballot file a closed vote was tallied from (``syndic vote tally`` reads it).

        ``published``: the file as anyone may have it, whose SHA-256 is in the log's
        ``vote.closed``: the same file for an open vote; for a secret one, voters named by
        pseudonym and delegated votes resolved into ballots (the same totals and outcome)."""
        with self.txs.read() as session:
            p = self._proposal(session, proposal_id)
            if p.tally_input is None:
                raise Conflict(f"the vote on {_label(p)} has not closed yet")
            if published and p.published_tally is not None:
                return p.published_tally
            return p.tally_input

    def _ballot_file(self, session: Session, p: Proposal, rule: FrozenRule) -> dict[str, Any]:
        members = list(
            session.scalars(
                select(Member).where(Member.status == MemberStatus.ACTIVE).order_by(Member.id)
            )
        )
        active = {m.id for m in members}
        cast = [
            b
            for b in session.scalars(
                select(Vote).where(Vote.proposal_id == p.id).order_by(Vote.member_id)
            )
            if b.member_id in active
        ]
        return {
            "format": ballot_file.FORMAT,
            "question": f"{_label(p)}: {p.question.get('text', '')}".rstrip(": "),
            "topic": p.topic,
            "method": rule.method.value,
            "delegation": rule.delegation,
            "options": list(rule.options),
            "status_quo": rule.status_quo,
            "quorum_bp": rule.quorum_bp,
            "threshold_bp": rule.threshold_bp,
            "credits": rule.voice_credits,
            "voters": self._voters(session, members, cast, rule),
            "ballots": [{"voter": str(b.member_id), "votes": b.votes} for b in cast],
            "delegations": self._delegations(session, active) if rule.delegation else [],
        }

    def _voters(
        self, session: Session, members: list[Member], cast: list[Vote], rule: FrozenRule
    ) -> list[dict[str, Any]]:
        """The electorate; under quadratic voting, each with the credits they hold."""
        if not rule.voting.spends_credits:
            return [{"id": str(m.id)} for m in members]
        if rule.delegation:
            # those who may be carried spend credits now: hold their rows against other spends
            session.scalars(
                select(Member.id)
                .where(
                    Member.id.in_(
                        select(DelegationRow.member_id).where(DelegationRow.revoked_at.is_(None))
                    )
                )
                .order_by(Member.id)
                .with_for_update()
            ).all()
        held = {b.member_id: b.credits_held for b in cast}
        # a direct voter's credits as held when they cast; anyone else's as held now
        return [
            {"id": str(m.id), "credits": self._credits(session, m, rule) if h is None else h}
            for m in members
            for h in (held.get(m.id),)
        ]

    @staticmethod
    def _delegations(session: Session, active: set[int]) -> list[dict[str, Any]]:
        """Delegations in force between active members, by member and topic."""
        out = []
        rows = session.scalars(select(DelegationRow).where(DelegationRow.revoked_at.is_(None)))
        for d in sorted(rows, key=lambda d: (d.member_id, d.topic)):
            if d.member_id in active and d.delegate_id in active:
                entry: dict[str, Any] = {"from": str(d.member_id), "to": str(d.delegate_id)}
                if d.topic != GLOBAL_TOPIC:
                    entry["topic"] = d.topic
                out.append(entry)
        return out

    def turnout(self, proposal_id: int) -> tuple[int, int]:
        """(active members who have voted, active members) on a proposal, for its progress."""
        with self.txs.read() as session:
            p = session.get(Proposal, proposal_id)
            if p is None:
                raise NotFound(f"no proposal with id {proposal_id}")
            return self._turnout(session, p)

    def voted_on(self, member_id: int) -> set[int]:
        """The proposals ``member_id`` has cast a ballot on (directly)."""
        with self.txs.read() as session:
            return set(session.scalars(select(Vote.proposal_id).where(Vote.member_id == member_id)))

    # --- voice credits -------------------------------------------------------------------
    def _credits(self, session: Session, member: Member, rule: CreditRule) -> int:
        """Credits ``member`` holds now under ``rule`` (never below zero).

        Spends are charged to the period they were made in, and a new spend is charged to the
        current one, so no earlier period's balance can change and go negative; with
        carry-over a period's unspent rest carries (at most one allowance) into the next."""
        days = rule.credit_period_days
        spent: dict[int, int] = {}
        for at, n in session.execute(
            select(CreditSpend.spent_at, CreditSpend.credits).where(
                CreditSpend.member_id == member.id
            )
        ):
            spent[period_of(at, days)] = spent.get(period_of(at, days), 0) + int(n)
        first = period_of(member.joined_at, days)
        held = balance(
            per_period=rule.voice_credits,
            unspent=rule.unspent_credits,
            spent=spent,
            first_period=first,
            period=max(first, period_of(self._now(), days)),
        )
        return max(0, held)

    def credits(self, member_id: int) -> int:
        """Voice credits the member holds now, under the charter in force."""
        with self.txs.read() as session:
            m = session.get(Member, member_id)
            if m is None:
                raise NotFound(f"no member with id {member_id}")
            return self._credits(session, m, _charter(session))

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
        with self.txs.write() as tx:
            session = tx.session
            for who in (member_id, delegate_id):
                # the delegator's row is locked: their delegations change one at a time
                mine = who == member_id
                m = session.get(Member, who, with_for_update=mine or None, populate_existing=mine)
                if m is None:
                    raise NotFound(f"no member with id {who}")
                if m.status != MemberStatus.ACTIVE:
                    raise Conflict(f"member {who} has left")
            now = tx.now()
            replaced = self._revoke_in_force(session, member_id, key, now)
            row = DelegationRow(
                member_id=member_id,
                delegate_id=delegate_id,
                topic=key,
                created_at=now,
                revoked_at=None,
            )
            session.add(row)
            session.flush()
            event = DelegationSet(
                delegation=row.id,
                member=member_id,
                delegate=delegate_id,
                topic=topic,
                replaces=replaced,
            )
            tx.record(event, actor=actor or f"member:{member_id}")
            return DelegationView.of(row)

    def revoke_delegation(
        self, member_id: int, *, topic: str | None = None, actor: str | None = None
    ) -> DelegationView:
        key = _check_topic(topic)
        with self.txs.write() as tx:
            tx.session.get(Member, member_id, with_for_update=True)
            row = self._in_force(tx.session, member_id, key)
            if row is None:
                scope = "global" if topic is None else f"{topic!r}"
                raise NotFound(f"member {member_id} has no {scope} delegation to revoke")
            row.revoked_at = tx.now()
            event = DelegationRevoked(delegation=row.id, member=member_id, topic=topic)
            tx.record(event, actor=actor or f"member:{member_id}")
            return DelegationView.of(row)

    @staticmethod
    def _in_force(session: Session, member_id: int, topic: str) -> DelegationRow | None:
        """The member's delegation in force on ``topic`` (a unique index keeps it to one)."""
        return session.scalar(
            select(DelegationRow).where(
                DelegationRow.member_id == member_id,
                DelegationRow.topic == topic,
                DelegationRow.revoked_at.is_(None),
            )
        )

    def _revoke_in_force(
        self, session: Session, member_id: int, topic: str, now: datetime
    ) -> int | None:
        """Revoke the member's delegation on ``topic`` still in force; returns its id."""
        row = self._in_force(session, member_id, topic)
        if row is None:
            return None
        row.revoked_at = now
        session.flush()  # before a new one is inserted under the unique index
        return row.id

    def delegations(self, *, member_id: int | None = None) -> list[DelegationView]:
        """Delegations in force (one member's, or everyone's)."""
        with self.txs.read() as session:
            q = select(DelegationRow).where(DelegationRow.revoked_at.is_(None))
            if member_id is not None:
                q = q.where(DelegationRow.member_id == member_id)
            return [DelegationView.of(d) for d in session.scalars(q.order_by(DelegationRow.id))]


def _ballot(
    choice: str | None, votes: Mapping[str, int] | None, *, per_head: bool
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
    if per_head and (len(clean) != 1 or next(iter(clean.values())) != 1):
        raise InvalidInput("this vote is one person, one vote: choose exactly one option")
    return dict(sorted(clean.items()))


def without(outcome: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in outcome.items() if k not in keys}


def _published(
    data: dict[str, Any], outcome: Outcome, seals: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """The ballot file of a secret vote as it is published.

    Direct voters are named by ``ballot_pseudonym`` (each voter can find their own ballot);
    a vote carried by delegation becomes a plain ballot of what was counted for it, and
    everyone else gets a random name. Delegations are left out: the chains would tie the
    pseudonyms to the public delegations. The file tallies to the same totals and outcome."""
    names = {
        v["id"]: ballot_pseudonym(*seals[v["id"]]) if v["id"] in seals else secrets.token_hex(32)
        for v in data["voters"]
    }
    direct = {b["voter"]: b["votes"] for b in data["ballots"]}
    ballots = [
        {"voter": names[voter], "votes": direct.get(voter, votes)}
        for voter, votes in outcome.counted.items()
    ]
    return {
        **data,
        "delegation": False,
        "voters": sorted(({**v, "id": names[v["id"]]} for v in data["voters"]), key=_by_id),
        "ballots": sorted(ballots, key=lambda b: str(b["voter"])),
        "delegations": [],
    }


def _by_id(v: Mapping[str, Any]) -> str:
    return str(v["id"])
