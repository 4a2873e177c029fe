"""Use cases for governance: the charter, proposals put to the members, ballots, delegation.

Votes are decided by the pure methods in ``governance.voting``: at closing, the service writes
down the exact ballot file it tallies (stored with the proposal, its hash logged), so anyone
holding that file can recompute the published outcome with ``syndic vote tally``.

Deal votes are opened and closed by ``DealService`` inside its own transactions, through the
session-level methods here (``open_in``, ``cast_in``, ``close_in``), so a deal's state and its
vote change together. Every write that checks and then writes first locks the rows it checks
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time): the proposal for a
ballot or a closing, the member for a spend of voice credits or a delegation.

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
from syndic.governance.voting.outcome import OPTIONS, STATUS_QUO, Outcome
from syndic.governance.voting.quadratic import check_budget, cost
from syndic.members.models import Member, MemberStatus
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database

TOPICS = ("deals", "charter")


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def ballot_pseudonym(commitment: str, salt: str) -> str:
    """How a secret ballot is named in the published ballot file: SHA-256 over the canonical
    JSON ``{"ballot": commitment, "salt": salt}``. The commitment is public (in the log), the
    salt only in the voter's receipt, so only the voter can find their own ballot."""
    return _sha256({"ballot": commitment, "salt": salt})


def _rule(p: Proposal) -> VoteRule:
    """The vote rule frozen into ``p`` (fields a rule gained later take their defaults)."""
    return VoteRule.model_validate({k: p.rule[k] for k in VoteRule.model_fields if k in p.rule})


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

    def market_leader(self) -> tuple[str | None, int]:
        """The charter's open licence (if any) and the threshold above which a builder is a
        very large platform and needs a negotiated licence (published with the terms)."""
        c = self.charter()
        return c.open_licence, c.vlop_mau_threshold

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
        if kind == ProposalKind.DEAL:
            # what signing an approved deal depends on is fixed now, with the vote
            frozen |= {
                "binding": charter.binding.value,
                "vlop_mau_threshold": charter.vlop_mau_threshold,
                "open_licence": charter.open_licence,
                "charter_version": charter.version,
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
            published_tally=None,
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
    def _proposal(s: Session, proposal_id: int, *, lock: bool = False) -> Proposal:
        """The proposal; ``lock`` holds its row until the transaction ends (for a write)."""
        p = s.get(Proposal, proposal_id, with_for_update=lock or None, populate_existing=lock)
        if p is None:
            raise NotFound(f"no proposal with id {proposal_id}")
        return p

    @staticmethod
    def proposal_for(
        s: Session, kind: ProposalKind, subject_id: int, *, lock: bool = False
    ) -> Proposal | None:
        q = (
            select(Proposal)
            .where(Proposal.kind == kind, Proposal.subject_id == subject_id)
            .order_by(Proposal.id.desc())
            .limit(1)
        )
        if lock:
            q = q.with_for_update().execution_options(populate_existing=True)
        return s.scalar(q)

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
            p = self._proposal(s, proposal_id, lock=True)
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
        """Record one member's ballot: a ``choice``, or ``votes`` per option (quadratic).
        The caller holds ``p`` locked."""
        rule = _rule(p)
        quadratic = rule.method is Method.QUADRATIC
        ballot = _ballot(choice, votes, quadratic=quadratic)
        now = self._now()
        if p.status != ProposalStatus.OPEN:
            raise Conflict(f"{_label(p)} is not open for voting")
        if now >= p.closes_at:
            raise Conflict(f"the vote on {_label(p)} closed at {iso(p.closes_at)}")
        # the member's row is locked for a spend, so two ballots cannot spend one credit twice
        member = s.get(
            Member, member_id, with_for_update=quadratic or None, populate_existing=quadratic
        )
        if member is None or member.status != MemberStatus.ACTIVE:
            raise Forbidden(f"{member_id} is not an active member and cannot vote")
        if s.scalar(select(Vote.id).where(Vote.proposal_id == p.id, Vote.member_id == member_id)):
            raise Conflict(f"member {member_id} has already voted on {_label(p)}")
        spent = 0
        held: int | None = None
        if quadratic:
            held = self._credits(s, member, p.rule)
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
                credits_held=held,
            )
        )
        if spent:
            s.add(CreditSpend(member_id=member_id, proposal_id=p.id, spent_at=now, credits=spent))
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
            published_as=ballot_pseudonym(commitment, salt) if rule.secret else str(member_id),
            log_index=idx,
        )

    # --- closing -------------------------------------------------------------------------
    def close(
        self, proposal_id: int, *, force: bool = False, actor: str = "steward"
    ) -> ProposalView:
        """Close a charter amendment vote (deal votes close through the deal)."""
        with self.db.write() as s:
            p = self._proposal(s, proposal_id, lock=True)
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
        """Tally under the rule frozen at opening; store the ballot file and the outcome.
        The caller holds ``p`` locked.

        Before its deadline a vote closes (``force``) only once every member has voted, or
        when its rule allows closing early (``early_close``)."""
        now = self._now()
        if p.status != ProposalStatus.OPEN:
            raise Conflict(f"{_label(p)} is not open for voting")
        early = now < p.closes_at
        if early:
            if not force:
                raise Conflict(f"the vote on {_label(p)} is open until {iso(p.closes_at)}")
            if not _rule(p).early_close:
                voted, electorate = self._turnout(s, p)
                if voted < electorate:
                    raise Conflict(
                        f"the vote on {_label(p)} is open until {iso(p.closes_at)}; it can "
                        f"close early only once every member has voted ({voted} of "
                        f"{electorate} have)"
                    )
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
                                spent_at=now,
                                credits=spent,
                            )
                        )
        result = outcome.to_dict()
        result["consenting"] = sorted(
            int(v) for v, votes in outcome.counted.items() if choice_of(votes) == "yes"
        )
        result["closed_at"] = iso(now)
        secret = _rule(p).secret
        if secret:
            seals = {
                str(v.member_id): (v.commitment, v.salt)
                for v in s.scalars(select(Vote).where(Vote.proposal_id == p.id))
            }
            published = _published(data, outcome, seals)
        else:
            published = data
        p.status = ProposalStatus.CLOSED
        p.outcome = result
        p.tally_input = data
        p.published_tally = published if secret else None
        payload: dict[str, Any] = {
            "proposal": p.id,
            "outcome": hidden(result) if secret else without(result, "consenting"),
            "ballot_file_sha256": _sha256(published),
            "early": early,
        }
        if p.kind == ProposalKind.DEAL:
            payload["deal"] = p.subject_id
        self.events.record(s, kind="vote.closed", actor=actor, payload=payload)
        return result

    @staticmethod
    def _turnout(s: Session, p: Proposal) -> tuple[int, int]:
        """(members who voted, members) among the active members."""
        active = select(Member.id).where(Member.status == MemberStatus.ACTIVE)
        electorate = s.scalar(select(func.count()).select_from(active.subquery()))
        voted = s.scalar(
            select(func.count(Vote.id)).where(Vote.proposal_id == p.id, Vote.member_id.in_(active))
        )
        return int(voted or 0), int(electorate or 0)

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

    def ballot_file(self, proposal_id: int, *, published: bool = False) -> dict[str, Any]:
        """The ballot file a closed vote was tallied from (``syndic vote tally`` reads it).

        ``published``: the file as anyone may have it, whose SHA-256 is in the log's
        ``vote.closed``: the same file for an open vote; for a secret one, voters named by
        pseudonym and delegated votes resolved into ballots (the same totals and outcome)."""
        with self.db.read() as s:
            p = self._proposal(s, proposal_id)
            if p.tally_input is None:
                raise Conflict(f"the vote on {_label(p)} has not closed yet")
            if published and p.published_tally is not None:
                return p.published_tally
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
        cast = [
            b
            for b in s.scalars(
                select(Vote).where(Vote.proposal_id == p.id).order_by(Vote.member_id)
            )
            if b.member_id in active
        ]
        held = {b.member_id: b.credits_held for b in cast}
        if quadratic and rule["delegation"]:
            # those who may be carried spend credits now: hold their rows against other spends
            s.scalars(
                select(Member.id)
                .where(
                    Member.id.in_(
                        select(DelegationRow.member_id).where(DelegationRow.revoked_at.is_(None))
                    )
                )
                .order_by(Member.id)
                .with_for_update()
            ).all()
        voters: list[dict[str, Any]] = []
        for m in members:
            v: dict[str, Any] = {"id": str(m.id)}
            if quadratic:
                # a direct voter's credits as held when they cast; anyone else's as held now
                direct = held.get(m.id)
                v["credits"] = direct if direct is not None else self._credits(s, m, rule)
            voters.append(v)
        ballots = [{"voter": str(b.member_id), "votes": b.votes} for b in cast]
        delegations = []
        if rule["delegation"]:
            # the newest delegation per member and topic (a database from before the unique
            # index on delegations in force could hold two)
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
    def _credits(self, s: Session, member: Member, rule: Mapping[str, Any]) -> int:
        """Credits ``member`` holds now under ``rule`` (never below zero).

        Spends are charged to the period they were made in, and a new spend is charged to the
        current one, so no earlier period's balance can change and go negative; with
        carry-over a period's unspent rest carries (at most one allowance) into the next."""
        days = rule["credit_period_days"]
        spent: dict[int, int] = {}
        for at, n in s.execute(
            select(CreditSpend.spent_at, CreditSpend.credits).where(
                CreditSpend.member_id == member.id
            )
        ):
            spent[period_of(at, days)] = spent.get(period_of(at, days), 0) + int(n)
        first = period_of(member.joined_at, days)
        held = balance(
            per_period=rule["voice_credits"],
            unspent=rule["unspent_credits"],
            spent=spent,
            first_period=first,
            period=max(first, period_of(self._now(), days)),
        )
        return max(0, held)

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
                # the delegator's row is locked: their delegations change one at a time
                mine = who == member_id
                m = s.get(Member, who, with_for_update=mine or None, populate_existing=mine)
                if m is None:
                    raise NotFound(f"no member with id {who}")
                if m.status != MemberStatus.ACTIVE:
                    raise Conflict(f"member {who} has left")
            now = self._now()
            replaced = self._revoke_in_force(s, member_id, key, now)
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
                    "replaces": replaced[-1] if replaced else None,
                },
            )
            return DelegationView.of(row)

    def revoke_delegation(
        self, member_id: int, *, topic: str | None = None, actor: str | None = None
    ) -> DelegationView:
        key = _check_topic(topic)
        with self.db.write() as s:
            s.get(Member, member_id, with_for_update=True)
            rows = self._in_force(s, member_id, key)
            if not rows:
                scope = "global" if topic is None else f"{topic!r}"
                raise NotFound(f"member {member_id} has no {scope} delegation to revoke")
            self._revoke_in_force(s, member_id, key, self._now())
            self.events.record(
                s,
                kind="delegation.revoked",
                actor=actor or f"member:{member_id}",
                payload={"delegation": rows[-1].id, "member": member_id, "topic": topic},
            )
            return DelegationView.of(rows[-1])

    @staticmethod
    def _in_force(s: Session, member_id: int, topic: str) -> list[DelegationRow]:
        return list(
            s.scalars(
                select(DelegationRow)
                .where(
                    DelegationRow.member_id == member_id,
                    DelegationRow.topic == topic,
                    DelegationRow.revoked_at.is_(None),
                )
                .order_by(DelegationRow.id)
            )
        )

    def _revoke_in_force(self, s: Session, member_id: int, topic: str, now: datetime) -> list[int]:
        """Revoke every delegation of ``member_id`` on ``topic`` still in force (there is one
        at most, but a database from before the unique index could hold more)."""
        rows = self._in_force(s, member_id, topic)
        for row in rows:
            row.revoked_at = now
        s.flush()  # before a new one is inserted under the unique index
        return [row.id for row in rows]

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


def without(outcome: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in outcome.items() if k not in keys}


def hidden(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """A secret vote's outcome as members and the log see it: totals, not who voted how
    (``consenting``) or whose vote was carried by whom (``delegation``)."""
    return without(outcome, "consenting", "delegation")


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
