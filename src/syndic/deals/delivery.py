"""Access tokens under an active agreement, and metered delivery of its licensed dataset."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.auth.policy import Authorizer
from syndic.clock import iso
from syndic.deals import rows
from syndic.deals.agreement import AgreementDocument
from syndic.deals.coverage import covered_works, covers_member
from syndic.deals.events import DataDelivered, TokenIssued, TokenRevoked
from syndic.deals.models import AccessToken, Agreement, AgreementStatus, Delivery
from syndic.deals.views import Grant
from syndic.errors import AuthError, Conflict, Forbidden, NotFound
from syndic.governance.service import GovernanceService
from syndic.members.models import Work
from syndic.provenance.unit import Transactions
from syndic.terms.models import Usage
from syndic.vault import Digest, FileVault

TOKEN_PREFIX = "syl_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class DeliveryOps:
    def __init__(
        self,
        txs: Transactions,
        *,
        governance: GovernanceService,
        vault: FileVault,
        token_ttl: timedelta,
        authorizer: Authorizer,
    ) -> None:
        self.txs = txs
        self.governance = governance
        self.authorizer = authorizer
        self.vault = vault
        self.token_ttl = token_ttl

    def issue_token(self, agreement_id: int, *, actor: str = "steward") -> str:
        """A new access token for an active agreement. The plaintext is returned once only.
        An agreement on the open terms gives none to a licensee that is now a very large
        platform (the market-leader clause)."""
        with self.txs.write() as tx:
            a = rows.agreement(tx.session, agreement_id, lock=True)
            now = tx.now()
            if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} is not active")
            self._market_leader(tx.session, a, AgreementDocument.parse(a.document), Forbidden)
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            row = AccessToken(
                agreement_id=agreement_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=min(now + self.token_ttl, a.ends_at),
                revoked_at=None,
            )
            tx.session.add(row)
            tx.session.flush()
            event = TokenIssued(
                token=row.id, agreement=agreement_id, expires_at=iso(row.expires_at)
            )
            tx.record(event, actor=actor)
            return token

    def revoke_token(self, token_id: int, *, actor: str = "steward") -> None:
        with self.txs.write() as tx:
            row = tx.session.get(AccessToken, token_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = tx.now()
                tx.record(TokenRevoked(token=token_id), actor=actor)

    def check_token(self, session: Session, token: str, *, now: datetime | None = None) -> Grant:
        """The grant a presented token carries; AuthError when forged, expired or revoked, or
        when its agreement no longer covers the licensee (ended, or on the open terms and the
        licensee is now a very large platform)."""
        now = now or self.txs.clock.now()
        row = session.scalar(select(AccessToken).where(AccessToken.token_hash == hash_token(token)))
        if row is None:
            raise AuthError("access token is not valid")
        if row.revoked_at is not None:
            raise AuthError("access token has been revoked")
        if now >= row.expires_at:
            raise AuthError("access token has expired")
        a = rows.agreement(session, row.agreement_id)
        if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
            raise AuthError("the agreement behind this token is no longer active")
        doc = AgreementDocument.parse(a.document)
        self._market_leader(session, a, doc, AuthError)
        return Grant(row.id, a.id, a.licensee_id, doc.usages(), row.expires_at)

    def licence_grant(self, token: str, *, usage: Usage, member: int | None) -> Grant:
        """The grant of ``token`` if it permits ``usage`` and its agreement covers a work of
        ``member`` (any member when None); ``AuthError`` for a token that is forged, expired
        or revoked, ``Forbidden`` for one outside this scope. The gate asks this for every
        licensed request, so it is one read."""
        with self.txs.read() as s:
            grant = self.check_token(s, token)
            if not grant.permits(usage):
                raise Forbidden(f"agreement {grant.agreement_id} does not permit {usage.value}")
            if member is not None and not covers_member(s, grant.agreement_id, member):
                raise Forbidden(f"agreement {grant.agreement_id} does not cover this site's works")
        return grant

    def grant(self, token: str) -> Grant:
        """``check_token`` in its own read (for callers that hold no session)."""
        with self.txs.read() as session:
            return self.check_token(session, token)

    def _market_leader(
        self,
        session: Session,
        a: Agreement,
        doc: AgreementDocument,
        error: type[Forbidden] | type[AuthError],
    ) -> None:
        terms = doc.licensed_terms()
        if rows.on_open_terms(terms):  # only then: a paid agreement costs no extra reads
            charter = self.governance.charter()
            rows.refuse_open_terms_under(
                charter, rows.licensee(session, a.licensee_id), terms, error
            )

    def authorize_delivery(self, token: str, agreement_id: int) -> Grant:
        with self.txs.read() as session:
            grant = self.check_token(session, token)
        if grant.agreement_id != agreement_id:
            self.authorizer.refuse(
                who=f"licensee:{grant.licensee_id}",
                what=f"agreement:{agreement_id}",
                why=f"token is scoped to agreement {grant.agreement_id}",
                message=f"this token does not cover agreement {agreement_id}",
            )
        return grant

    def dataset_records(self, grant: Grant) -> Iterator[DatasetRecord]:
        """Every work the agreement covers, with its bytes and its text; metered and logged
        when the last one has been read (a delivery cut off part-way is not booked)."""
        count = size = 0
        last = 0
        while True:
            with self.txs.read() as session:
                batch = covered_works(session, grant.agreement_id, after=last)
            if not batch:
                break
            last = batch[-1][1]
            for work, _ in batch:
                record = self._record(work, grant)
                count += 1
                size += len(record.content)
                yield record
        with self.txs.write() as tx:
            tx.session.add(
                Delivery(agreement_id=grant.agreement_id, works=count, bytes=size, at=tx.now())
            )
            event = DataDelivered(
                agreement=grant.agreement_id, token=grant.token_id, works=count, bytes=size
            )
            tx.record(event, actor=f"licensee:{grant.licensee_id}")

    def dataset_lines(self, grant: Grant) -> Iterator[bytes]:
        """The licensed dataset as JSONL, streamed (``DatasetRecord.line``)."""
        for record in self.dataset_records(grant):
            yield record.line()

    def _record(self, work: Work, grant: Grant) -> DatasetRecord:
        content = self.vault.read_bytes(Digest.parse(work.digest))
        text: str | None = None
        if work.text_digest is not None:
            text = self.vault.read_bytes(Digest.parse(work.text_digest)).decode("utf-8", "replace")
        elif work.media_type.startswith("text/"):
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        return DatasetRecord(
            digest=work.digest,
            title=work.title,
            collection=work.collection,
            media_type=work.media_type,
            meta=work.meta,
            licence=f"agreement:{grant.agreement_id}",
            content=content,
            text=text,
        )


@dataclass(frozen=True)
class DatasetRecord:
    """One delivered work. A text work is its text; any other (an image, a PDF) carries its
    bytes, and the text extracted from it when there is some."""

    digest: str
    title: str
    collection: str
    media_type: str
    meta: dict[str, Any]
    licence: str
    content: bytes
    text: str | None

    @property
    def is_text(self) -> bool:
        """The content is itself the text (UTF-8), so the line need not repeat it as bytes."""
        return self.text is not None and self.media_type.startswith("text/")

    def header(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "title": self.title,
            "collection": self.collection,
            "media_type": self.media_type,
            "meta": self.meta,
            "licence": self.licence,
        }

    def line(self) -> bytes:
        """One JSONL line: ``text`` for text works; ``content_base64`` (the original bytes)
        for the others, with ``text`` when text was extracted from them."""
        record = self.header()
        if self.text is not None:
            record["text"] = self.text
        if not self.is_text:
            record["content_base64"] = base64.b64encode(self.content).decode("ascii")
        return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
