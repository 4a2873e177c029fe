"""Access tokens under an active agreement, and metered delivery of its licensed dataset."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.clock import iso
from syndic.deals.base import DealsBase, on_open_terms
from syndic.deals.models import AccessToken, Agreement, AgreementStatus, AgreementWork, Delivery
from syndic.deals.views import Grant
from syndic.errors import AuthError, Conflict, Forbidden, NotFound
from syndic.members.models import Share, Work
from syndic.vault import Digest

TOKEN_PREFIX = "syl_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class DeliveryOps(DealsBase):
    def issue_token(self, agreement_id: int, *, actor: str = "steward") -> str:
        """A new access token for an active agreement. The plaintext is returned once only.
        An agreement on the open terms gives none to a licensee that is now a very large
        platform (the market-leader clause)."""
        with self.db.write() as s:
            a = self._agreement(s, agreement_id, lock=True)
            now = self._now()
            if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} is not active")
            self._market_leader(s, a, Forbidden)
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
            row = s.get(AccessToken, token_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self._now()
                self.events.record(
                    s, kind="token.revoked", actor=actor, payload={"token": token_id}
                )

    def check_token(self, s: Session, token: str, *, now: datetime | None = None) -> Grant:
        """The grant a presented token carries; AuthError when forged, expired or revoked, or
        when its agreement no longer covers the licensee (ended, or on the open terms and the
        licensee is now a very large platform)."""
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
        self._market_leader(s, a, AuthError)
        usages = tuple(sorted(json.loads(a.document)["terms"]["permits"]))
        return Grant(row.id, a.id, a.licensee_id, usages, row.expires_at)

    def _market_leader(
        self, s: Session, a: Agreement, error: type[Forbidden] | type[AuthError]
    ) -> None:
        terms = json.loads(a.document)["terms"]
        if on_open_terms(terms):  # only then: a paid agreement costs no extra reads
            charter = self.governance.charter_in(s)
            self._refuse_open_terms(
                self._licensee(s, a.licensee_id),
                terms,
                threshold=charter.vlop_mau_threshold,
                open_licence=charter.open_licence,
                error=error,
            )

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
