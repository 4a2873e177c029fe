"""Signed agreements: the coalition signs an approved deal, the licensee countersigns the
exact same bytes; the agreement file, its RSL rendering, termination.

The file in ``agreements_dir`` follows the database: it is written beside its place inside
the transaction and moved into place only once the transaction has committed, so a move
that fails leaves the file as it was."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from syndic.canonical import canonical_bytes
from syndic.clock import iso
from syndic.deals.agreement import build_document, file_bytes, scope_root
from syndic.deals.base import DealsBase
from syndic.deals.models import Agreement, AgreementStatus, AgreementWork
from syndic.deals.states import Party, move
from syndic.deals.views import AgreementView
from syndic.errors import ConfigError, Conflict, Forbidden, InvalidInput, VerificationError
from syndic.governance.charter import Binding
from syndic.keys import load_public_b64, verify
from syndic.terms.models import Terms
from syndic.terms.rsl import render_terms


class AgreementOps(DealsBase):
    def sign(self, deal_id: int, *, actor: str = "steward") -> AgreementView:
        """The coalition signs the approved deal; it is active once the licensee signs too.

        Signing applies the rules the members voted under (frozen into the proposal when
        the vote opened: binding, the very-large-platform threshold, the open licence), to
        the members and works as they are now."""
        with self._file_after_commit() as stage, self.db.write() as s:
            deal = self._deal(s, deal_id, lock=True)
            to = move(deal_id, deal.status, "sign")
            licensee = self._licensee(s, deal.licensee_id)
            if licensee.public_key is None:
                raise Conflict(f"licensee {licensee.id} has registered no public key to sign with")
            p = self._open_proposal(s, deal_id)
            assert p.outcome is not None
            # (a vote opened before these were frozen falls back on the charter in force)
            current = self.governance.charter_in(s)
            binding = Binding(p.rule.get("binding", current.binding.value))
            threshold = int(p.rule.get("vlop_mau_threshold", current.vlop_mau_threshold))
            open_licence = p.rule.get("open_licence", current.open_licence)
            self._refuse_open_terms(
                licensee, deal.terms, threshold=threshold, open_licence=open_licence
            )
            consenting = p.outcome["consenting"] if binding is Binding.OPT_IN else None
            cover = self._coverage(s, deal, consenting, vlop_mau_threshold=threshold)
            if not cover.works:
                raise Conflict(f"deal {deal_id} covers no works once members' mandates are applied")
            start = self._now()
            terms = Terms.model_validate(deal.terms)
            end = start + timedelta(days=terms.duration_days)
            digests = sorted(w.digest for w in cover.works)
            root = scope_root(digests)
            agreement = Agreement(
                deal_id=deal_id,
                licensee_id=licensee.id,
                document=b"",
                coalition_signature="",
                licensee_signature=None,
                licensee_signed_at=None,
                scope_root=root,
                works_count=len(digests),
                starts_at=start,
                ends_at=end,
                status=AgreementStatus.PENDING,
                log_index=-1,
            )
            s.add(agreement)
            s.flush()
            document = build_document(
                agreement_id=agreement.id,
                deal_id=deal.id,
                terms=deal.terms,
                scope=deal.scope,
                clauses=deal.clauses,
                coalition={"name": self.coalition, "public_key": self.signer.public_b64},
                licensee={
                    "id": licensee.id,
                    "name": licensee.name,
                    "contact": licensee.contact,
                    "public_key": licensee.public_key,
                    "monthly_active_users": licensee.monthly_active_users,
                },
                vlop_mau_threshold=threshold,
                open_licence=open_licence,
                governance={
                    "charter_version": p.charter_version,
                    "binding": binding.value,
                    "proposal": p.id,
                    "method": p.outcome["method"],
                    "totals": p.outcome["totals"],
                    "turnout": p.outcome["turnout"],
                    "electorate": p.outcome["electorate"],
                },
                coverage=cover.summary(),
                digests=digests,
                start=start,
                end=end,
            )
            agreement.document = canonical_bytes(document)
            agreement.coalition_signature = base64.b64encode(
                self.signer.sign(agreement.document)
            ).decode()
            s.add_all(AgreementWork(agreement_id=agreement.id, work_id=w.id) for w in cover.works)
            deal.status = to
            agreement.log_index = self.events.record(
                s,
                kind="agreement.signed",
                actor=actor,
                payload={
                    "agreement": agreement.id,
                    "deal": deal_id,
                    "party": Party.COALITION.value,
                    "document_sha256": hashlib.sha256(agreement.document).hexdigest(),
                    "scope_root": root,
                    "works": len(digests),
                    "signature": agreement.coalition_signature,
                },
            )
            stage(agreement)
            return AgreementView.of(agreement)

    def countersign(
        self, agreement_id: int, signature: str, *, licensee_id: int | None, actor: str
    ) -> AgreementView:
        """The licensee's Ed25519 signature over the exact document bytes; the agreement
        becomes active. ``licensee_id`` None: the steward records a signature sent to it."""
        with self._file_after_commit() as stage, self.db.write() as s:
            a = self._agreement(s, agreement_id)
            if licensee_id is not None and licensee_id != a.licensee_id:
                raise Forbidden(f"agreement {agreement_id} is not this licensee's")
            deal = self._deal(s, a.deal_id, lock=True)
            a = self._agreement(s, agreement_id, lock=True)
            to = move(deal.id, deal.status, "countersign")
            key = json.loads(a.document)["parties"]["licensee"]["public_key"]
            try:
                raw = base64.b64decode(signature, validate=True)
            except ValueError as exc:
                raise VerificationError("the signature is not base64") from exc
            try:
                verify(load_public_b64(key), raw, a.document)
            except VerificationError as exc:
                raise VerificationError(
                    "the signature does not verify: it must be the licensee's registered key "
                    f"over the exact bytes of agreement {agreement_id}'s document"
                ) from exc
            now = self._now()
            if now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} ended at {iso(a.ends_at)}")
            a.licensee_signature = base64.b64encode(raw).decode()
            a.licensee_signed_at = now
            a.status = AgreementStatus.ACTIVE
            deal.status = to
            self.events.record(
                s,
                kind="agreement.signed",
                actor=actor,
                payload={
                    "agreement": agreement_id,
                    "deal": deal.id,
                    "party": Party.LICENSEE.value,
                    "document_sha256": hashlib.sha256(a.document).hexdigest(),
                    "signature": a.licensee_signature,
                },
            )
            stage(a)
            return AgreementView.of(a)

    def terminate(self, agreement_id: int, *, reason: str, actor: str = "steward") -> AgreementView:
        if not reason.strip():
            raise InvalidInput("say why the agreement is terminated")
        with self.db.write() as s:
            a = self._agreement(s, agreement_id)
            deal = self._deal(s, a.deal_id, lock=True)
            a = self._agreement(s, agreement_id, lock=True)
            deal.status = move(deal.id, deal.status, "terminate")
            a.status = AgreementStatus.TERMINATED
            self.events.record(
                s,
                kind="agreement.terminated",
                actor=actor,
                payload={"agreement": agreement_id, "reason": reason.strip()},
            )
            return AgreementView.of(a)

    def agreement_path(self, agreement_id: int) -> Path:
        return self.agreements_dir / f"agreement-{agreement_id}.json"

    @contextmanager
    def _file_after_commit(self) -> Iterator[Callable[[Agreement], None]]:
        """``stage(agreement)`` (called last inside the transaction) writes the agreement file
        beside its place; it is moved into place when the block, and so the commit, succeeds,
        and removed otherwise. Enter it before ``db.write()`` so it exits after the commit."""
        staged: list[tuple[Path, Path]] = []

        def stage(a: Agreement) -> None:
            path = self.agreement_path(a.id)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
            try:
                self.agreements_dir.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(self.agreement_file(a))
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

    @staticmethod
    def agreement_file(a: Agreement) -> bytes:
        return file_bytes(json.loads(a.document), a.coalition_signature, a.licensee_signature)

    def agreement_document(self, agreement_id: int) -> bytes:
        """The exact bytes both parties sign (canonical JSON)."""
        with self.db.read() as s:
            return self._agreement(s, agreement_id).document

    def agreement_file_bytes(self, agreement_id: int) -> bytes:
        with self.db.read() as s:
            return self.agreement_file(self._agreement(s, agreement_id))

    def rsl(self, agreement_id: int, *, base_url: str) -> str:
        """The agreement as an RSL 1.0 licence: its terms over exactly its licensed dataset,
        pointing at the signed agreement file for the scope and the parties."""
        with self.db.read() as s:
            a = self._agreement(s, agreement_id)
            doc = json.loads(a.document)
        base = base_url.rstrip("/")
        return render_terms(
            Terms.model_validate(doc["terms"]),
            content_urls=[f"{base}/v1/agreements/{agreement_id}/dataset.jsonl"],
            server=f"{base}/v1/agreements/{agreement_id}/tokens",
            terms_url=f"{base}/v1/agreements/{agreement_id}/file",
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
