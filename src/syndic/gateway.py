"""The gate joined to the rest of Syndic: ``Gateway`` implements the gate's port over deals
(licence checks), payouts (a charge's ledger posting) and the event log (decisions), and
``gate_app`` assembles the gate in front of a site.

Neither the gate nor payouts imports the other; this module, above both, joins them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from syndic.clock import Clock
from syndic.deals.service import DealService
from syndic.errors import AuthError, Conflict, Forbidden, NotFound
from syndic.gate.journal import Journal
from syndic.gate.licensing import LicenceCheck
from syndic.gate.middleware import ASGIApp, GateMiddleware
from syndic.gate.models import SpentChallenge
from syndic.gate.policy import Policy
from syndic.gate.port import DecisionRecord
from syndic.gate.proxy import Upstream
from syndic.gate.service import Gate, GateSetup
from syndic.payouts import crawl
from syndic.payouts.ledger import Ledger
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database
from syndic.terms.formats import RSL_PATH, Site, response_headers
from syndic.terms.models import Usage

if TYPE_CHECKING:
    from syndic.app import Syndic

log = logging.getLogger(__name__)
# a unique key refusing a row: the database's error, or ours once Database.write translates it
DUPLICATE = (DBIntegrityError, Conflict)
SECRET_PURPOSE = b"syndic gate v1"


class Gateway:
    """The gate's port over Syndic's services (see ``syndic.gate.port.GatePort``)."""

    def __init__(
        self,
        *,
        db: Database,
        log: TransparencyLog,
        clock: Clock,
        deals: DealService,
        ledger: Ledger,
    ) -> None:
        self.db = db
        self.clock = clock
        self.deals = deals
        self.ledger = ledger
        self.journal = Journal(db, log, clock)

    def check_licence(self, token: str, *, usage: Usage, member: int | None) -> LicenceCheck:
        try:
            return LicenceCheck(self.deals.licence_grant(token, usage=usage, member=member), None)
        except (AuthError, Forbidden) as exc:
            return LicenceCheck(None, exc)

    def reserve_nonce(self, nonce: str, *, at: datetime) -> bool:
        try:
            with self.db.write() as s:
                s.add(SpentChallenge(challenge_id=nonce, spent_at=at))
                s.flush()
        except DUPLICATE:
            return False
        return True

    def release_nonce(self, nonce: str) -> None:
        try:
            with self.db.write() as s:
                s.execute(delete(SpentChallenge).where(SpentChallenge.challenge_id == nonce))
        except Exception:  # the nonce stays held: the crawler signs a new request, never charged
            log.exception("a pay-per-crawl nonce could not be released")

    def book_charge(self, record: DecisionRecord) -> None:
        self.journal.record_now(record, self._posting(record))

    def _posting(self, r: DecisionRecord) -> Callable[[Session], None]:
        def post(s: Session) -> None:
            assert r.currency is not None
            crawl.book_charge(
                s,
                self.ledger,
                agent=r.agent,
                site=r.site,
                path=r.path,
                amount_minor=r.charged_minor,
                currency=r.currency,
                actor=r.agent,
            )

        return post

    def spend_challenge(self, challenge_id: str, record: DecisionRecord) -> bool:
        def spend(s: Session) -> None:
            s.add(SpentChallenge(challenge_id=challenge_id, spent_at=self.clock.now()))
            s.flush()

        try:
            self.journal.record_now(record, spend)
        except DUPLICATE:
            return False
        return True

    def record(self, record: DecisionRecord) -> None:
        self.journal.add(record)

    def flush(self) -> int:
        return self.journal.flush()

    def metrics(self) -> dict[str, int]:
        return self.journal.metrics()

    def start(self) -> None:
        self.journal.start()

    async def aclose(self) -> None:
        await self.journal.aclose()


def gate_setup(s: Syndic) -> GateSetup:
    """What the gate reads from ``s``: a secret derived from the coalition key, the crawler
    list (loaded once, with ``s``), and the terms it advertises."""
    base = s.settings.public_url.rstrip("/")
    headers: dict[str, str] = {}
    try:
        version, terms = s.terms.current()
        headers = response_headers(terms, Site(base_url=base, coalition=s.name, version=version))
    except NotFound:
        pass  # no terms yet: nothing to advertise, the policy still applies
    return GateSetup(
        clock=s.clock,
        secret=s.signer.derive_secret(SECRET_PURPOSE),
        crawlers=s.crawlers,
        licence_url=f"{base}/{RSL_PATH}",
        terms_headers=headers,
    )


def gateway(s: Syndic) -> Gateway:
    return Gateway(db=s.db, log=s.log, clock=s.clock, deals=s.deals, ledger=s.ledger)


def gate(s: Syndic, policy: Policy) -> Gate:
    """The gate for ``policy``, doing its I/O through a new ``Gateway``."""
    return Gate(gateway(s), policy, gate_setup(s))


def gate_app(s: Syndic, policy: Policy, upstream: str) -> tuple[ASGIApp, Gate]:
    """The gate in front of ``upstream`` (a base URL), and the gate itself; serve it with
    ``SERVER_OPTIONS`` (gate/middleware.py) so each response has one Date and Server."""
    g = gate(s, policy)
    upstream_app = Upstream(
        upstream, timeout_s=policy.upstream_timeout_s, deadline_s=policy.upstream_deadline_s
    )
    return GateMiddleware(upstream_app, g, date_header=True), g
