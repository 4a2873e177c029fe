"""Access's use cases: marked delivery, tracing a leaked copy, canaries, usage reconciliation.

``deliver`` is the one seam between the metered dataset (``deals``) and what a licensee
receives: it takes the dataset's JSONL lines, writes each record's text in the forms its
agreement's key chooses (``marks``) and places the agreement's canary records among them.
``syndic export`` and ``GET /v1/agreements/{id}/dataset.jsonl`` both go through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from syndic.access import canaries as canary_mod
from syndic.access.events import UsageReported
from syndic.access.marks import agreement_key, mark, unmarked
from syndic.access.models import UsageReport
from syndic.access.trace import Verdict, trace
from syndic.clock import iso
from syndic.deals.agreement import AgreementDocument
from syndic.deals.delivery import DatasetRecord
from syndic.deals.models import Delivery
from syndic.deals.service import DealService
from syndic.deals.views import Grant
from syndic.detection.readers import Fields, Format, read_records
from syndic.errors import InvalidInput
from syndic.keys import Signer
from syndic.provenance.unit import Transactions


class AccessService:
    def __init__(self, txs: Transactions, *, deals: DealService, signer: Signer) -> None:
        self.txs = txs
        self.deals = deals
        self._mark_secret = signer.derive_secret(b"syndic/access/marks/v1")
        self._canary_secret = signer.derive_secret(b"syndic/access/canaries/v1")

    # --- delivery --------------------------------------------------------------------------
    def key(self, agreement: int) -> bytes:
        return agreement_key(self._mark_secret, agreement)

    def deliver(self, grant: Grant) -> Iterator[bytes]:
        """The licensed dataset as JSONL, marked for ``grant``'s agreement, with its canaries."""
        return (record.line() for record in self.deliver_records(grant))

    def deliver_records(self, grant: Grant) -> Iterator[DatasetRecord]:
        """The licensed dataset as records, each text marked for ``grant``'s agreement and
        the agreement's canaries placed among them: every packaging (JSONL, tar shards)
        delivers these, so no format escapes the marks."""
        key = self.key(grant.agreement_id)
        count = self.deals.get_agreement(grant.agreement_id).works_count
        found = canary_mod.canaries(self._canary_secret, grant.agreement_id)
        where = canary_mod.positions(self._canary_secret, grant.agreement_id, count)
        marked = (_marked(record, key) for record in self.deals.dataset_records(grant))
        return canary_mod.interleave(marked, where, [c.record() for c in found])

    def delivered_form(self, text: str, agreement: int) -> dict[str, Any]:
        """What a delivery under ``agreement`` changes in ``text``: every changed character
        (offset, from, to), and whether the two differ only in the documented forms."""
        delivered = mark(text, self.key(agreement))
        changes = [
            {"offset": i, "from": f"U+{ord(a):04X}", "to": f"U+{ord(b):04X}"}
            for i, (a, b) in enumerate(zip(text, delivered, strict=True))
            if a != b
        ]
        return {
            "agreement": agreement,
            "changes": changes,
            "only_documented_forms": unmarked(delivered) == unmarked(text),
            "delivered": delivered,
        }

    def canaries(self, agreement: int) -> list[canary_mod.Canary]:
        return canary_mod.canaries(self._canary_secret, agreement)

    def canary_book(self) -> canary_mod.CanaryBook:
        return canary_mod.CanaryBook(self._canary_secret, self._agreements())

    def _agreements(self) -> list[int]:
        return [a.id for a in self.deals.list_agreements()]

    # --- tracing ---------------------------------------------------------------------------
    def trace(self, path: Any, fmt: Format, fields: Fields) -> dict[str, Any]:
        """Which licensee a leaked copy came from, or "no licensee"."""
        agreements = self.deals.list_agreements()
        keys = {a.id: self.key(a.id) for a in agreements}
        book = canary_mod.CanaryBook(self._canary_secret, keys)
        hits: set[int] = set()

        def texts() -> Iterator[str]:
            for r in read_records(path, fmt, fields):
                hits.update(book.agreements_in(r.text))
                yield r.text

        verdict = trace(texts(), keys, canaries=hits)
        if verdict.records == 0:
            raise InvalidInput(f"nothing to trace: {path} holds no records")
        return self._named(verdict, {a.id: a.licensee_id for a in agreements})

    def _named(self, verdict: Verdict, licensee_of: dict[int, int]) -> dict[str, Any]:
        out = verdict.to_dict()
        if verdict.agreement is None:
            out["verdict"] = "no licensee"
            out["licensee"] = None
        else:
            lic = self.deals.get_licensee(licensee_of[verdict.agreement])
            out["verdict"] = "licensee"
            out["licensee"] = {"id": lic.id, "name": lic.name}
        out["canary_licensees"] = [
            {"agreement": a, "licensee": licensee_of.get(a)} for a in verdict.canaries
        ]
        return out

    # --- usage reports ---------------------------------------------------------------------
    def report_usage(
        self,
        agreement_id: int,
        *,
        period_start: datetime,
        period_end: datetime,
        records_used: int,
        note: str = "",
        actor: str = "licensee",
    ) -> int:
        """File a licensee's usage report for ``[period_start, period_end)``."""
        if period_end <= period_start:
            raise InvalidInput("a usage report's period must end after it starts")
        if records_used < 0:
            raise InvalidInput("records used cannot be negative")
        self.deals.get_agreement(agreement_id)
        with self.txs.write() as tx:
            row = UsageReport(
                agreement_id=agreement_id,
                period_start=period_start,
                period_end=period_end,
                records_used=records_used,
                note=note.strip(),
                filed_at=tx.now(),
                log_index=-1,
            )
            tx.session.add(row)
            tx.session.flush()
            event = UsageReported(
                report=row.id,
                agreement=agreement_id,
                period_start=iso(period_start),
                period_end=iso(period_end),
                records_used=records_used,
            )
            row.log_index = tx.record(event, actor=actor)
            return row.id

    def reconcile(self, agreement_id: int) -> dict[str, Any]:
        """Deliveries no report covers, and reporting periods past due with no report."""
        view = self.deals.get_agreement(agreement_id)
        doc = AgreementDocument.parse(self.deals.agreement_document(agreement_id))
        every = timedelta(days=int(doc.as_json()["reporting"]["usage_report_days"]))
        now = self.txs.clock.now()
        with self.txs.read() as session:
            deliveries = list(
                session.scalars(
                    select(Delivery)
                    .where(Delivery.agreement_id == agreement_id)
                    .order_by(Delivery.id)
                )
            )
            reports = list(
                session.scalars(
                    select(UsageReport)
                    .where(UsageReport.agreement_id == agreement_id)
                    .order_by(UsageReport.id)
                )
            )
        covered = [(r.period_start, r.period_end) for r in reports]
        unreported = [
            {"delivery": d.id, "at": iso(d.at), "works": d.works, "bytes": d.bytes}
            for d in deliveries
            if not any(a <= d.at < b for a, b in covered)
        ]
        overdue = []
        start = view.starts_at
        while start + every <= min(now, view.ends_at + every):
            end = start + every
            if end <= now and not any(a <= start and end <= b for a, b in covered):
                overdue.append({"period_start": iso(start), "period_end": iso(end)})
            start = end
        return {
            "agreement": agreement_id,
            "report_every_days": every.days,
            "deliveries": len(deliveries),
            "reports": len(reports),
            "unreported_deliveries": unreported,
            "overdue_reports": overdue,
            "ok": not unreported and not overdue,
        }


def _marked(record: DatasetRecord, key: bytes) -> DatasetRecord:
    """``record`` with its text in the forms ``key`` chooses; a non-text work's original
    bytes are never touched (only the text extracted from it is marked)."""
    if record.text is None:
        return record
    text = mark(record.text, key)
    if record.is_text:
        return replace(record, text=text, content=text.encode("utf-8"))
    return replace(record, text=text)
