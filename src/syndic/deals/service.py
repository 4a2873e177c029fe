"""Use cases for a bargaining round: licensee -> offer -> member vote -> signed agreement ->
access tokens -> metered delivery.

The vote here is a simple majority with a quorum over active members; the governance
package supplies richer methods under the charter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import iso
from syndic.deals.models import (
    AccessToken,
    Agreement,
    AgreementStatus,
    AgreementWork,
    Ballot,
    Deal,
    DealStatus,
    Delivery,
    Licensee,
)
from syndic.deals.views import AgreementView, DealView, Grant, LicenseeView
from syndic.errors import AuthError, Conflict, Forbidden, InvalidInput, NotFound
from syndic.keys import load_public_b64, public_b64
from syndic.members.models import Member, MemberStatus, Share, Work, WorkStatus
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database
from syndic.terms.models import Terms, Usage, expand
from syndic.terms.registry import terms_document
from syndic.vault import Digest, FileVault

TOKEN_PREFIX = "syl_"
CHOICES = ("yes", "no", "abstain")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scope_root(digests: list[str]) -> str:
    """One digest naming an exact set of works: SHA-256 over the sorted digests, one per line."""
    return str(Digest.of_bytes("".join(f"{d}\n" for d in sorted(digests)).encode("ascii")))


class DealService:
    def __init__(
        self,
        db: Database,
        vault: FileVault,
        events: EventRecorder,
        *,
        coalition: str,
        signing_key: Ed25519PrivateKey,
        agreements_dir: Path,
        token_ttl: timedelta,
    ) -> None:
        self.db = db
        self.vault = vault
        self.events = events
        self.coalition = coalition
        self.signing_key = signing_key
        self.agreements_dir = agreements_dir
        self.token_ttl = token_ttl

    def _now(self) -> datetime:
        return self.events.clock.now()

    # --- licensees -----------------------------------------------------------------------
    def register_licensee(
        self,
        *,
        name: str,
        contact: str,
        public_key: str | None = None,
        monthly_active_users: int = 0,
        actor: str = "steward",
    ) -> LicenseeView:
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("a licensee name must be 1-200 characters")
        if public_key is not None:
            load_public_b64(public_key)
        if monthly_active_users < 0:
            raise InvalidInput("monthly active users cannot be negative")
        with self.db.write() as s:
            if s.scalar(select(Licensee.id).where(Licensee.name == name)) is not None:
                raise Conflict(f"a licensee named {name!r} already exists")
            lic = Licensee(
                name=name,
                contact=contact,
                public_key=public_key,
                monthly_active_users=monthly_active_users,
                created_at=self._now(),
            )
            s.add(lic)
            s.flush()
            self.events.record(
                s,
                kind="licensee.registered",
                actor=actor,
                payload={
                    "licensee": lic.id,
                    "name": name,
                    "monthly_active_users": monthly_active_users,
                },
            )
            return LicenseeView.of(lic)

    def list_licensees(self) -> list[LicenseeView]:
        with self.db.read() as s:
            return [LicenseeView.of(x) for x in s.scalars(select(Licensee).order_by(Licensee.id))]

    # --- offers and votes ----------------------------------------------------------------
    def offer(
        self, *, licensee_id: int, terms: Terms, scope: list[str] | None = None, actor: str
    ) -> DealView:
        """A licensee asks for a licence on these terms over these collections (all if empty)."""
        if not terms.permits:
            raise InvalidInput("an offer must permit at least one usage")
        with self.db.write() as s:
            if s.get(Licensee, licensee_id) is None:
                raise NotFound(f"no licensee with id {licensee_id}")
            deal = Deal(
                licensee_id=licensee_id,
                terms=terms_document(terms),
                scope=sorted(set(scope or [])),
                status=DealStatus.OFFERED,
                created_at=self._now(),
                quorum_bp=5000,
                vote_closes_at=None,
                outcome=None,
            )
            s.add(deal)
            s.flush()
            self.events.record(
                s,
                kind="offer.made",
                actor=actor,
                payload={
                    "deal": deal.id,
                    "licensee": licensee_id,
                    "terms": deal.terms,
                    "scope": deal.scope,
                },
            )
            return DealView.of(deal)

    def open_vote(
        self, deal_id: int, *, hours: int = 72, quorum_bp: int = 5000, actor: str = "steward"
    ) -> DealView:
        if not 0 < quorum_bp <= 10_000:
            raise InvalidInput("quorum must be between 0.01% and 100%")
        if hours <= 0:
            raise InvalidInput("a vote must stay open for at least one hour")
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            if deal.status != DealStatus.OFFERED:
                raise Conflict(
                    f"deal {deal_id} is {deal.status}; only an offered deal can be put to a vote"
                )
            deal.status = DealStatus.VOTING
            deal.quorum_bp = quorum_bp
            deal.vote_closes_at = self._now() + timedelta(hours=hours)
            self.events.record(
                s,
                kind="vote.opened",
                actor=actor,
                payload={
                    "deal": deal_id,
                    "quorum_bp": quorum_bp,
                    "closes_at": iso(deal.vote_closes_at),
                },
            )
            return DealView.of(deal)

    def cast_vote(
        self, deal_id: int, *, member_id: int, choice: str, actor: str | None = None
    ) -> None:
        if choice not in CHOICES:
            raise InvalidInput(f"a vote is one of {', '.join(CHOICES)}, not {choice!r}")
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            assert deal.vote_closes_at is not None
            if self._now() >= deal.vote_closes_at:
                raise Conflict(f"the vote on deal {deal_id} closed at {iso(deal.vote_closes_at)}")
            member = s.get(Member, member_id)
            if member is None or member.status != MemberStatus.ACTIVE:
                raise Forbidden(f"{member_id} is not an active member and cannot vote")
            if s.scalar(
                select(Ballot.id).where(Ballot.deal_id == deal_id, Ballot.member_id == member_id)
            ):
                raise Conflict(f"member {member_id} has already voted on deal {deal_id}")
            s.add(Ballot(deal_id=deal_id, member_id=member_id, choice=choice, cast_at=self._now()))
            self.events.record(
                s,
                kind="vote.cast",
                actor=actor or f"member:{member_id}",
                payload={"deal": deal_id, "member": member_id, "choice": choice},
            )

    def close_vote(self, deal_id: int, *, actor: str = "steward", force: bool = False) -> DealView:
        """Tally: approved when turnout meets the quorum and yes outnumbers no."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            assert deal.vote_closes_at is not None
            if not force and self._now() < deal.vote_closes_at:
                raise Conflict(
                    f"the vote on deal {deal_id} is open until {iso(deal.vote_closes_at)}"
                )
            eligible = int(
                s.scalar(select(func.count(Member.id)).where(Member.status == MemberStatus.ACTIVE))
                or 0
            )
            counts = dict.fromkeys(CHOICES, 0)
            for choice, n in s.execute(
                select(Ballot.choice, func.count(Ballot.id))
                .where(Ballot.deal_id == deal_id)
                .group_by(Ballot.choice)
            ):
                counts[choice] = int(n)
            turnout = sum(counts.values())
            quorum_met = eligible > 0 and turnout * 10_000 >= deal.quorum_bp * eligible
            approved = quorum_met and counts["yes"] > counts["no"]
            deal.outcome = {
                "method": "simple-majority",
                "eligible": eligible,
                "turnout": turnout,
                "quorum_bp": deal.quorum_bp,
                "quorum_met": quorum_met,
                "totals": counts,
                "approved": approved,
            }
            deal.status = DealStatus.APPROVED if approved else DealStatus.REJECTED
            self.events.record(
                s,
                kind="vote.closed",
                actor=actor,
                payload={"deal": deal_id, "outcome": deal.outcome},
            )
            return DealView.of(deal)

    def get_deal(self, deal_id: int) -> DealView:
        with self.db.read() as s:
            return DealView.of(self._deal(s, deal_id))

    def list_deals(self) -> list[DealView]:
        with self.db.read() as s:
            return [DealView.of(d) for d in s.scalars(select(Deal).order_by(Deal.id))]

    @staticmethod
    def _deal(s: Session, deal_id: int) -> Deal:
        deal = s.get(Deal, deal_id)
        if deal is None:
            raise NotFound(f"no deal with id {deal_id}")
        return deal

    # --- agreements ----------------------------------------------------------------------
    def _covered_works(
        self, s: Session, deal: Deal, terms: Terms
    ) -> tuple[list[Work], list[dict[str, Any]]]:
        """Active works in scope, minus those a holder's mandate forbids (red lines, floor)."""
        usages = {u.value for u in expand(terms.permits)}
        excluded: dict[int, str] = {}
        for m in s.scalars(select(Member)):
            if m.status != MemberStatus.ACTIVE:
                excluded[m.id] = "member has left"
            elif usages & {u.value for u in expand([Usage(u) for u in m.prohibited_usages])}:
                excluded[m.id] = "usage crosses the member's red line"
            elif terms.amount_minor < m.floor_price_minor:
                excluded[m.id] = "price below the member's floor"
        q = select(Work).where(Work.status == WorkStatus.ACTIVE).order_by(Work.id)
        if deal.scope:
            q = q.where(Work.collection.in_(deal.scope))
        works = [w for w in s.scalars(q) if not any(sh.member_id in excluded for sh in w.shares)]
        reasons = [{"member": mid, "reason": why} for mid, why in sorted(excluded.items())]
        return works, reasons

    def sign(self, deal_id: int, *, actor: str = "steward") -> AgreementView:
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            if deal.status != DealStatus.APPROVED:
                raise Conflict(
                    f"deal {deal_id} is {deal.status}; only an approved deal can be signed"
                )
            if s.scalar(select(Agreement.id).where(Agreement.deal_id == deal_id)) is not None:
                raise Conflict(f"deal {deal_id} is already signed")
            terms = Terms.model_validate(deal.terms)
            works, excluded = self._covered_works(s, deal, terms)
            if not works:
                raise Conflict(f"deal {deal_id} covers no works once members' mandates are applied")
            licensee = s.get(Licensee, deal.licensee_id)
            assert licensee is not None
            start = self._now()
            end = start + timedelta(days=terms.duration_days)
            root = scope_root([w.digest for w in works])
            agreement = Agreement(
                deal_id=deal_id,
                licensee_id=licensee.id,
                document=b"",
                coalition_signature="",
                scope_root=root,
                works_count=len(works),
                starts_at=start,
                ends_at=end,
                status=AgreementStatus.ACTIVE,
                log_index=-1,
            )
            s.add(agreement)
            s.flush()
            document = {
                "type": "syndic.agreement/v1",
                "agreement": agreement.id,
                "coalition": {"name": self.coalition, "public_key": public_b64(self.signing_key)},
                "licensee": {
                    "id": licensee.id,
                    "name": licensee.name,
                    "public_key": licensee.public_key,
                },
                "terms": deal.terms,
                "scope": {"works": len(works), "root": root, "collections": deal.scope},
                "excluded_members": excluded,
                "starts_at": iso(start),
                "ends_at": iso(end),
            }
            agreement.document = canonical_bytes(document)
            agreement.coalition_signature = base64.b64encode(
                self.signing_key.sign(agreement.document)
            ).decode()
            s.add_all(AgreementWork(agreement_id=agreement.id, work_id=w.id) for w in works)
            deal.status = DealStatus.SIGNED
            agreement.log_index = self.events.record(
                s,
                kind="agreement.signed",
                actor=actor,
                payload={
                    "agreement": agreement.id,
                    "deal": deal_id,
                    "document_sha256": hashlib.sha256(agreement.document).hexdigest(),
                    "coalition_signature": agreement.coalition_signature,
                },
            )
            self._write_agreement_file(agreement)
            return AgreementView.of(agreement)

    def _write_agreement_file(self, a: Agreement) -> None:
        self.agreements_dir.mkdir(parents=True, exist_ok=True)
        body = {
            "document": json.loads(a.document),
            "document_b64": base64.b64encode(a.document).decode(),
            "signatures": {"coalition": a.coalition_signature},
        }
        (self.agreements_dir / f"agreement-{a.id}.json").write_text(
            json.dumps(body, indent=2) + "\n"
        )

    def get_agreement(self, agreement_id: int) -> AgreementView:
        with self.db.read() as s:
            return AgreementView.of(self._agreement(s, agreement_id))

    def list_agreements(self, *, licensee_id: int | None = None) -> list[AgreementView]:
        with self.db.read() as s:
            q = select(Agreement).order_by(Agreement.id)
            if licensee_id is not None:
                q = q.where(Agreement.licensee_id == licensee_id)
            return [AgreementView.of(a) for a in s.scalars(q)]

    @staticmethod
    def _agreement(s: Session, agreement_id: int) -> Agreement:
        a = s.get(Agreement, agreement_id)
        if a is None:
            raise NotFound(f"no agreement with id {agreement_id}")
        return a

    # --- tokens and delivery -------------------------------------------------------------
    def issue_token(self, agreement_id: int, *, actor: str = "steward") -> str:
        """A new access token for an active agreement. The plaintext is returned once only."""
        with self.db.write() as s:
            a = self._agreement(s, agreement_id)
            now = self._now()
            if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} is not active")
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            row = AccessToken(
                agreement_id=agreement_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=min(now + self.token_ttl, a.ends_at),
                revoked_at=None,
            )
            s.add(row)
            s.flush()
            self.events.record(
                s,
                kind="token.issued",
                actor=actor,
                payload={
                    "token": row.id,
                    "agreement": agreement_id,
                    "expires_at": iso(row.expires_at),
                },
            )
            return token

    def revoke_token(self, token_id: int, *, actor: str = "steward") -> None:
        with self.db.write() as s:
            row = s.get(AccessToken, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self._now()
                self.events.record(
                    s, kind="token.revoked", actor=actor, payload={"token": token_id}
                )

    def check_token(self, s: Session, token: str, *, now: datetime | None = None) -> Grant:
        """The grant a presented token carries; AuthError when forged, expired or revoked."""
        now = now or self._now()
        row = s.scalar(select(AccessToken).where(AccessToken.token_hash == hash_token(token)))
        if row is None:
            raise AuthError("access token is not valid")
        if row.revoked_at is not None:
            raise AuthError("access token has been revoked")
        if now >= row.expires_at:
            raise AuthError("access token has expired")
        a = self._agreement(s, row.agreement_id)
        if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
            raise AuthError("the agreement behind this token is no longer active")
        usages = tuple(sorted(json.loads(a.document)["terms"]["permits"]))
        return Grant(row.id, a.id, a.licensee_id, usages, row.expires_at)

    def deny(self, *, who: str, what: str, why: str) -> None:
        """Record a refused access (the 403 is then raised by the caller)."""
        with self.db.write() as s:
            self.events.record(
                s, kind="access.denied", actor=who, payload={"resource": what, "reason": why}
            )

    def authorize_delivery(self, token: str, agreement_id: int) -> Grant:
        with self.db.read() as s:
            grant = self.check_token(s, token)
        if grant.agreement_id != agreement_id:
            self.deny(
                who=f"licensee:{grant.licensee_id}",
                what=f"agreement:{agreement_id}",
                why=f"token is scoped to agreement {grant.agreement_id}",
            )
            raise Forbidden(f"this token does not cover agreement {agreement_id}")
        return grant

    def dataset_lines(self, grant: Grant) -> Iterator[bytes]:
        """The licensed dataset as JSONL, streamed; metered and logged when complete."""
        count = size = 0
        last_id = 0
        while True:
            with self.db.read() as s:
                batch = s.execute(
                    select(Work, AgreementWork.id)
                    .join(AgreementWork, AgreementWork.work_id == Work.id)
                    .where(
                        AgreementWork.agreement_id == grant.agreement_id, AgreementWork.id > last_id
                    )
                    .order_by(AgreementWork.id)
                    .limit(500)
                ).all()
            if not batch:
                break
            for work, aw_id in batch:
                last_id = aw_id
                text = self.vault.read_bytes(Digest.parse(work.digest)).decode("utf-8")
                line = (
                    json.dumps(
                        {
                            "digest": work.digest,
                            "title": work.title,
                            "collection": work.collection,
                            "text": text,
                            "meta": work.meta,
                            "licence": f"agreement:{grant.agreement_id}",
                        },
                        ensure_ascii=False,
                    ).encode("utf-8")
                    + b"\n"
                )
                count += 1
                size += len(line)
                yield line
        with self.db.write() as s:
            s.add(
                Delivery(agreement_id=grant.agreement_id, works=count, bytes=size, at=self._now())
            )
            self.events.record(
                s,
                kind="data.delivered",
                actor=f"licensee:{grant.licensee_id}",
                payload={
                    "agreement": grant.agreement_id,
                    "token": grant.token_id,
                    "works": count,
                    "bytes": size,
                },
            )

    def members_of(self, agreement_id: int) -> dict[int, int]:
        """Per member: the sum of their shares (bp) over the works the agreement covers."""
        with self.db.read() as s:
            rows = s.execute(
                select(Share.member_id, func.sum(Share.share_bp))
                .join(AgreementWork, AgreementWork.work_id == Share.work_id)
                .where(AgreementWork.agreement_id == agreement_id)
                .group_by(Share.member_id)
            )
            return {int(m): int(w) for m, w in rows}
