"""Signed agreements: the coalition signs an approved deal, the licensee countersigns the
exact same bytes; the agreement file, its RSL rendering, termination.

The file in ``agreements_dir`` follows the database: it is written beside its place inside
the transaction and moved into place only once the transaction has committed, so a move
that fails leaves the file as it was."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from syndic.canonical import canonical_bytes
from syndic.clock import iso
from syndic.deals import rows
from syndic.deals.agreement import (
    AgreementDocument,
    DealText,
    MarketLeader,
    Parties,
    Scope,
    build_document,
    file_bytes,
    scope_root,
)
from syndic.deals.coverage import Coverage
from syndic.deals.events import AgreementSigned, AgreementTerminated
from syndic.deals.models import Agreement, AgreementStatus, AgreementWork, Deal, Licensee
from syndic.deals.states import Party, move
from syndic.deals.views import AgreementView
from syndic.deals.votes import deal_coverage
from syndic.errors import ConfigError, Conflict, Forbidden, InvalidInput, VerificationError
from syndic.governance.results import VoteResult
from syndic.governance.service import GovernanceService
from syndic.keys import Signer, load_public_b64, verify
from syndic.provenance.unit import Transactions, Tx
from syndic.terms.models import Terms
from syndic.terms.registry import OLP_SERVER_PATH
from syndic.terms.rsl import render_terms


@dataclass(frozen=True)
class Coalition:
    """Who signs for the coalition."""

    name: str
    signer: Signer


@dataclass(frozen=True)
class _Signing:
    """What signing one approved deal has gathered before it writes."""

    deal: Deal
    licensee: Licensee
    vote: VoteResult
    cover: Coverage
    start: datetime
    end: datetime

    @property
    def threshold(self) -> int:
        assert self.vote.rule.vlop_mau_threshold is not None
        return self.vote.rule.vlop_mau_threshold

    @property
    def digests(self) -> list[str]:
        return sorted(w.digest for w in self.cover.works)


class Agreements:
    def __init__(
        self,
        txs: Transactions,
        *,
        governance: GovernanceService,
        coalition: Coalition,
        agreements_dir: Path,
    ) -> None:
        self.txs = txs
        self.governance = governance
        self.coalition = coalition
        self.agreements_dir = agreements_dir

    # --- signing ---------------------------------------------------------------------------
    def sign(self, deal_id: int, *, actor: str = "steward") -> AgreementView:
        """The coalition signs the approved deal; it is active once the licensee signs too.

        Signing applies the rules the members voted under (frozen into the proposal when
        the vote opened: binding, the very-large-platform threshold, the open licence), to
        the members and works as they are now."""
        with self._file_after_commit() as stage, self.txs.write() as tx:
            deal = rows.deal(tx.session, deal_id, lock=True)
            to = move(deal_id, deal.status, "sign")
            signing = self._gather(tx, deal)
            agreement = self._agreement_row(tx, signing)
            self._sign_document(agreement, signing)
            tx.session.add_all(
                AgreementWork(agreement_id=agreement.id, work_id=w.id) for w in signing.cover.works
            )
            deal.status = to
            event = AgreementSigned(
                agreement=agreement.id,
                deal=deal_id,
                party=Party.COALITION.value,
                document_sha256=hashlib.sha256(agreement.document).hexdigest(),
                scope_root=agreement.scope_root,
                works=agreement.works_count,
                signature=agreement.coalition_signature,
            )
            agreement.log_index = tx.record(event, actor=actor)
            stage(agreement)
            return AgreementView.of(agreement)

    def _gather(self, tx: Tx, deal: Deal) -> _Signing:
        """Check the deal can be signed under the rules its vote froze; what it covers."""
        licensee = rows.licensee(tx.session, deal.licensee_id)
        if licensee.public_key is None:
            raise Conflict(f"licensee {licensee.id} has registered no public key to sign with")
        vote = self.governance.deal_result(deal.id, tx=tx)
        rule = vote.rule
        assert rule.vlop_mau_threshold is not None
        rows.refuse_open_terms(
            licensee,
            deal.terms,
            threshold=rule.vlop_mau_threshold,
            open_licence=rule.open_licence,
        )
        cover = deal_coverage(
            tx.session,
            deal,
            vlop_mau_threshold=rule.vlop_mau_threshold,
            consenting=vote.bound_members(),
        )
        if not cover.works:
            raise Conflict(f"deal {deal.id} covers no works once members' mandates are applied")
        start = tx.now()
        end = start + timedelta(days=deal.terms.duration_days)
        return _Signing(deal, licensee, vote, cover, start, end)

    @staticmethod
    def _agreement_row(tx: Tx, g: _Signing) -> Agreement:
        """The pending agreement (its id goes into the document it will carry)."""
        agreement = Agreement(
            deal_id=g.deal.id,
            licensee_id=g.licensee.id,
            document=b"",
            coalition_signature="",
            licensee_signature=None,
            licensee_signed_at=None,
            scope_root=scope_root(g.digests),
            works_count=len(g.digests),
            starts_at=g.start,
            ends_at=g.end,
            status=AgreementStatus.PENDING,
            log_index=-1,
        )
        tx.session.add(agreement)
        tx.session.flush()
        return agreement

    def _sign_document(self, agreement: Agreement, g: _Signing) -> None:
        """Write the agreement's canonical document and the coalition's signature over it."""
        document = build_document(
            agreement_id=agreement.id,
            deal=DealText(g.deal.id, g.deal.terms.document(), g.deal.clauses),
            parties=Parties(
                coalition={
                    "name": self.coalition.name,
                    "public_key": self.coalition.signer.public_b64,
                },
                licensee=_licensee_party(g.licensee),
            ),
            scope=Scope(g.deal.scope, g.digests, g.cover.summary()),
            market_leader=MarketLeader(g.threshold, g.vote.rule.open_licence),
            governance=g.vote.record(),
            start=g.start,
            end=g.end,
        )
        agreement.document = canonical_bytes(document)
        signature = self.coalition.signer.sign(agreement.document)
        agreement.coalition_signature = base64.b64encode(signature).decode()

    def countersign(
        self, agreement_id: int, signature: str, *, licensee_id: int | None, actor: str
    ) -> AgreementView:
        """The licensee's Ed25519 signature over the exact document bytes; the agreement
        becomes active. ``licensee_id`` None: the steward records a signature sent to it."""
        with self._file_after_commit() as stage, self.txs.write() as tx:
            a = rows.agreement(tx.session, agreement_id)
            if licensee_id is not None and licensee_id != a.licensee_id:
                raise Forbidden(f"agreement {agreement_id} is not this licensee's")
            deal, a = rows.locked_agreement(tx, agreement_id)
            to = move(deal.id, deal.status, "countersign")
            raw = _licensee_signature(a, signature)
            now = tx.now()
            if now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} ended at {iso(a.ends_at)}")
            a.licensee_signature = base64.b64encode(raw).decode()
            a.licensee_signed_at = now
            a.status = AgreementStatus.ACTIVE
            deal.status = to
            event = AgreementSigned(
                agreement=agreement_id,
                deal=deal.id,
                party=Party.LICENSEE.value,
                document_sha256=hashlib.sha256(a.document).hexdigest(),
                signature=a.licensee_signature,
            )
            tx.record(event, actor=actor)
            stage(a)
            return AgreementView.of(a)

    def terminate(self, agreement_id: int, *, reason: str, actor: str = "steward") -> AgreementView:
        if not reason.strip():
            raise InvalidInput("say why the agreement is terminated")
        with self.txs.write() as tx:
            deal, a = rows.locked_agreement(tx, agreement_id)
            deal.status = move(deal.id, deal.status, "terminate")
            a.status = AgreementStatus.TERMINATED
            tx.record(
                AgreementTerminated(agreement=agreement_id, reason=reason.strip()), actor=actor
            )
            return AgreementView.of(a)

    # --- the agreement file ----------------------------------------------------------------
    def path(self, agreement_id: int) -> Path:
        return self.agreements_dir / f"agreement-{agreement_id}.json"

    @contextmanager
    def _file_after_commit(self) -> Iterator[Callable[[Agreement], None]]:
        """``stage(agreement)`` (called last inside the transaction) writes the agreement file
        beside its place; it is moved into place when the block, and so the commit, succeeds,
        and removed otherwise. Enter it before the transaction so it exits after the commit."""
        staged: list[tuple[Path, Path]] = []

        def stage(a: Agreement) -> None:
            path = self.path(a.id)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
            try:
                self.agreements_dir.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(agreement_file(a))
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
            staged.append((tmp, path))

        try:
            yield stage
            for tmp, path in staged:
                try:
                    tmp.replace(path)
                except OSError as exc:  # committed; the file can be written again from the DB
                    raise ConfigError(
                        f"agreement saved, but {path} could not be replaced: {exc.strerror}"
                    ) from exc
        finally:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)

    def document(self, agreement_id: int) -> bytes:
        """The exact bytes both parties sign (canonical JSON)."""
        with self.txs.read() as session:
            return rows.agreement(session, agreement_id).document

    def file_bytes(self, agreement_id: int) -> bytes:
        with self.txs.read() as session:
            return agreement_file(rows.agreement(session, agreement_id))

    def terms(self, agreement_id: int) -> Terms:
        """The terms the agreement licenses, as signed."""
        with self.txs.read() as session:
            return AgreementDocument.parse(
                rows.agreement(session, agreement_id).document
            ).licensed_terms()

    def rsl(self, agreement_id: int, *, base_url: str) -> str:
        """The agreement as an RSL 1.0 licence: its terms over exactly its licensed dataset,
        pointing at the signed agreement file for the scope and the parties."""
        with self.txs.read() as session:
            doc = AgreementDocument.parse(rows.agreement(session, agreement_id).document)
        base = base_url.rstrip("/")
        return render_terms(
            doc.licensed_terms(),
            content_urls=[f"{base}/v1/agreements/{agreement_id}/dataset.jsonl"],
            server=base + OLP_SERVER_PATH,  # OLP: POST <server>/token with agreement_id
            terms_url=f"{base}/v1/agreements/{agreement_id}/file",
        )

    def get(self, agreement_id: int) -> AgreementView:
        with self.txs.read() as session:
            return AgreementView.of(rows.agreement(session, agreement_id))

    def every(self, *, licensee_id: int | None = None) -> list[AgreementView]:
        with self.txs.read() as session:
            q = select(Agreement).order_by(Agreement.id)
            if licensee_id is not None:
                q = q.where(Agreement.licensee_id == licensee_id)
            return [AgreementView.of(a) for a in session.scalars(q)]


def agreement_file(a: Agreement) -> bytes:
    """The agreement file: its document with both parties' signatures so far."""
    doc = AgreementDocument.parse(a.document)
    return file_bytes(doc.as_json(), a.coalition_signature, a.licensee_signature)


def _licensee_party(lic: Licensee) -> dict[str, Any]:
    return {
        "id": lic.id,
        "name": lic.name,
        "contact": lic.contact,
        "public_key": lic.public_key,
        "monthly_active_users": lic.monthly_active_users,
    }


def _licensee_signature(a: Agreement, signature: str) -> bytes:
    """The licensee's signature, checked against the key its agreement names."""
    key = AgreementDocument.parse(a.document).licensee_key
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError as exc:
        raise VerificationError("the signature is not base64") from exc
    try:
        verify(load_public_b64(key), raw, a.document)
    except VerificationError as exc:
        raise VerificationError(
            "the signature does not verify: it must be the licensee's registered key "
            f"over the exact bytes of agreement {a.id}'s document"
        ) from exc
    return raw
