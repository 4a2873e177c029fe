"""``Syndic``: the one object that builds and connects every part from ``Settings``."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from syndic.auth.models import Role
from syndic.auth.policy import Authorizer
from syndic.auth.service import KeyService
from syndic.auth.signin import DEFAULT_LINK_TTL, SignIn
from syndic.clock import Clock, SystemClock
from syndic.coalition import Coalition, CoalitionCreated
from syndic.config import Settings
from syndic.errors import AuthError, ConfigError
from syndic.keys import Signer
from syndic.members.limits import Limits
from syndic.members.service import MemberService
from syndic.outbox import Mail, Outbox, outbox_for
from syndic.payouts.ledger import Ledger
from syndic.payouts.rails import InstructionFileRail, PayoutRail
from syndic.payouts.service import PayoutService, StatementView
from syndic.provenance.audit import AuditReport
from syndic.provenance.checkpoint import log_origin
from syndic.provenance.events import EventRecorder
from syndic.provenance.log import TransparencyLog
from syndic.provenance.service import ProvenanceService
from syndic.provenance.unit import Transactions
from syndic.storage.db import Database
from syndic.summary import REPORT_SQL, figures
from syndic.terms.crawlers import load_crawlers
from syndic.validation import clean_name
from syndic.vault import Digest, FileVault, VaultReport

if TYPE_CHECKING:  # built on first use: a command that needs neither pays nothing for them
    from syndic.access.service import AccessService
    from syndic.bargaining.assess import OfferAssessor
    from syndic.bargaining.service import LeverageService
    from syndic.catalogue.service import CatalogueImporter
    from syndic.deals.delivery import DatasetRecord
    from syndic.deals.service import DealService
    from syndic.deals.views import Grant
    from syndic.detection.service import DetectionService, Progress, ScanRequest, ScanSummary
    from syndic.gate.licensing import IssuedToken
    from syndic.gate.middleware import ASGIApp
    from syndic.gate.policy import Policy
    from syndic.gate.service import Gate
    from syndic.governance.service import GovernanceService
    from syndic.payouts.charter import CharterPayouts
    from syndic.portal import LicenseePortal, MemberPortal
    from syndic.provenance.state import StateAudit, StateReport
    from syndic.terms.registry import TermsRegistry
    from syndic.valuation.service import ValuationService


def _ensure_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"data dir {data_dir} is not writable: {exc.strerror or exc}") from exc


class Syndic:
    """Build with ``Syndic.init`` (a new coalition) or ``Syndic.open`` / ``from_settings``."""

    def __init__(
        self,
        settings: Settings,
        *,
        signer: Signer,
        clock: Clock | None = None,
        rail: PayoutRail | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.signer = signer
        self.db = Database(
            settings.effective_database_url, lock_timeout_s=settings.db_lock_timeout_s
        )
        self.vault = FileVault(settings.vault_dir)
        self.log = TransparencyLog()
        self.events = EventRecorder(self.log, self.clock)
        with self.db.read() as session:
            row = session.scalar(select(Coalition).limit(1))
        if row is None:
            raise ConfigError(f"no coalition in {settings.data_dir}; run `syndic init` first")
        if row.public_key != signer.public_b64:
            raise ConfigError("the key file does not match the coalition's registered public key")
        self.name = row.name
        self.crawlers = load_crawlers(settings.data_dir)  # read once; the gate matches on it
        self.members = MemberService(
            self.db,
            self.vault,
            self.events,
            limits=Limits(settings.max_work_bytes, settings.max_field_chars),
        )
        self.members.on_change.append(self._detection_follows)
        self.txs = Transactions(self.db, self.events)
        self._wire_auth()  # before the parts that take the authorizer
        self.ledger = Ledger(self.events)
        self.payouts = PayoutService(
            self.txs,
            ledger=self.ledger,
            rail=rail
            or InstructionFileRail(settings.data_dir / "payouts" / "payout-instructions.jsonl"),
            currency=settings.currency,
        )
        # hands the log its signer: from here on a checkpoint is signed every N appends
        self.provenance = ProvenanceService(
            db=self.db,
            log=self.log,
            vault=self.vault,
            signer=signer,
            origin=log_origin(self.name),
            clock=self.clock,
            checkpoint_every=settings.checkpoint_every,
        )

    # Built on first use, with their imports: a command that needs none of them (``report``,
    # ``member list``) does not load them.
    @cached_property
    def catalogue(self) -> CatalogueImporter:
        """``syndic import`` (docs/import.md)."""
        from syndic.catalogue.service import CatalogueImporter

        return CatalogueImporter(self.members)

    @cached_property
    def governance(self) -> GovernanceService:
        from syndic.governance.service import GovernanceService

        return GovernanceService(self.txs)

    @cached_property
    def terms(self) -> TermsRegistry:
        from syndic.terms.registry import TermsRegistry

        return TermsRegistry(self.db, self.events, market_leader=self.governance.market_leader)

    @cached_property
    def deals(self) -> DealService:
        from syndic.deals.service import DealService, DealSettings

        return DealService(
            self.txs,
            governance=self.governance,
            vault=self.vault,
            signer=self.signer,
            authorizer=self.authorizer,
            # members vote on an offer knowing its assessment (built only when a vote opens)
            offer_brief=self._offer_brief,
            settings=DealSettings(
                coalition=self.name,
                agreements_dir=self.settings.data_dir / "agreements",
                token_ttl=timedelta(days=self.settings.token_ttl_days),
                currency=self.settings.currency,
            ),
        )

    @cached_property
    def valuation(self) -> ValuationService:
        """Valuation runs (built on first use: it brings the numerical stack)."""
        from syndic.valuation.service import ValuationService

        return ValuationService(
            self.db,
            self.vault,
            self.events,
            checkpoint=self.provenance.checkpoint,
            cache_dir=self.settings.data_dir / "cache",
        )

    @cached_property
    def charter_payouts(self) -> CharterPayouts:
        from syndic.payouts.charter import CharterPayouts

        return CharterPayouts(
            payouts=self.payouts, governance=self.governance, valuation=self.valuation
        )

    # --- leverage runs and offer assessment (docs/bargaining.md) -------------------------
    @cached_property
    def leverage(self) -> LeverageService:
        """Built on first use (it brings the numerical stack)."""
        from syndic.bargaining.service import LeverageService

        return LeverageService(
            self.txs,
            self.vault,
            checkpoint=self.provenance.checkpoint,
            cache_dir=self.settings.data_dir / "cache",
            valuation=self.valuation,
            governance=self.governance,
        )

    @cached_property
    def offers(self) -> OfferAssessor:
        from syndic.bargaining.assess import OfferAssessor

        return OfferAssessor(
            self.txs,
            governance=self.governance,
            valuation=self.valuation,
            leverage=self.leverage,
            payouts=self.charter_payouts,
        )

    @cached_property
    def state_audit(self) -> StateAudit:
        """`syndic audit`: each domain's checks of its tables against the log
        (docs/provenance.md)."""
        from syndic.deals import audit as deals_audit
        from syndic.members import audit as members_audit
        from syndic.payouts import audit as payouts_audit
        from syndic.provenance.state import StateAudit
        from syndic.valuation import audit as valuation_audit

        return StateAudit(
            self.db,
            checks=[
                *members_audit.CHECKS,
                *deals_audit.CHECKS,
                *payouts_audit.CHECKS,
                *valuation_audit.CHECKS,
            ],
        )

    # --- detection (scans of others' datasets) and access (marked delivery, tracing) -----
    @property
    def _index_path(self) -> Path:
        return self.settings.data_dir / "detection" / "index.npz"

    @cached_property
    def detection(self) -> DetectionService:
        """Built on first use (it brings numpy and datasketch)."""
        from syndic.detection.service import DetectionService
        from syndic.pool import PoolCatalogue

        return DetectionService(
            self.txs,
            self.vault,
            catalogue=PoolCatalogue(self.members, self.db, self.log),
            index_path=self._index_path,
        )

    def _detection_follows(self) -> None:
        """After the pool changes: keep an existing index level (none yet: nothing to do)."""
        if self._index_path.exists():
            self.detection.sync()

    @cached_property
    def access(self) -> AccessService:
        from syndic.access.service import AccessService

        return AccessService(self.txs, deals=self.deals, signer=self.signer)

    @cached_property
    def portal(self) -> MemberPortal:
        """What a member's pages read across parts (reads only)."""
        from syndic.portal import MemberPortal

        return MemberPortal(
            members=self.members,
            governance=self.governance,
            deals=self.deals,
            payouts=self.payouts,
            valuation=self.valuation,
            provenance=self.provenance,
            vault=self.vault,
        )

    @cached_property
    def licensee_portal(self) -> LicenseePortal:
        """What a licensee's pages read across parts (reads only)."""
        from syndic.portal import LicenseePortal

        return LicenseePortal(members=self.members, deals=self.deals, payouts=self.payouts)

    def _wire_auth(self) -> None:
        """API keys and the one authorization policy, told how to find who owns what (looked
        up when asked, so the parts named here may be built after)."""
        txs = self.txs

        def licensee(licensee_id: int) -> object:
            return self.deals.get_licensee(licensee_id)

        subjects = {Role.MEMBER: self.members.get, Role.LICENSEE: licensee}
        self.keys = KeyService(txs, subjects=subjects)
        self.signin = SignIn(txs, subjects=subjects)  # the pages' one-time links and sessions
        self.outbox: Outbox = outbox_for(
            data_dir=self.settings.data_dir,
            clock=self.clock,
            smtp_host=self.settings.smtp_host,
            smtp_port=self.settings.smtp_port,
            smtp_starttls=self.settings.smtp_starttls,
            sender=self.settings.mail_from,
        )
        self.authorizer = Authorizer(
            txs,
            owners={
                "member": lambda i: {self.members.get(i).id},
                "work": lambda i: {h.member_id for h in self.members.get_work(i).holders},
                "deal": lambda i: {self.deals.get_deal(i).licensee_id},
                "agreement": lambda i: {self.deals.get_agreement(i).licensee_id},
            },
        )

    # --- named constructors ---------------------------------------------------------------
    @classmethod
    def init(cls, settings: Settings, *, name: str, clock: Clock | None = None) -> Syndic:
        """Create a new coalition: data dir, schema, signing key (0600) and the founding event."""
        name = clean_name(name, what="the coalition's name")
        _ensure_writable(settings.data_dir)
        db = Database(settings.effective_database_url, lock_timeout_s=settings.db_lock_timeout_s)
        try:
            db.migrate()
            with db.read() as session:
                if session.scalar(select(Coalition.id).limit(1)) is not None:
                    raise ConfigError(f"{settings.data_dir} already holds a coalition")
            signer = Signer.create(settings.key_path)
            events = EventRecorder(TransparencyLog(), clock or SystemClock())
            with db.write() as session:
                session.add(
                    Coalition(
                        name=name.strip(),
                        public_key=signer.public_b64,
                        created_at=events.clock.now(),
                    )
                )
                events.record(
                    session,
                    CoalitionCreated(name=name.strip(), public_key=signer.public_b64),
                    actor="steward",
                )
        finally:
            db.dispose()
        return cls(settings, signer=signer, clock=clock)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock | None = None, rail: PayoutRail | None = None
    ) -> Syndic:
        if not settings.key_path.exists():
            raise ConfigError(f"no coalition in {settings.data_dir}; run `syndic init` first")
        _ensure_writable(settings.data_dir)
        db = Database(settings.effective_database_url, lock_timeout_s=settings.db_lock_timeout_s)
        try:
            db.migrate()
        finally:
            db.dispose()
        return cls(settings, signer=Signer.load(settings.key_path), clock=clock, rail=rail)

    @classmethod
    def open(cls, data_dir: Path | str, **overrides: Any) -> Syndic:
        return cls.from_settings(Settings(data_dir=Path(data_dir), **overrides))

    def close(self) -> None:
        self.db.dispose()

    # --- across parts --------------------------------------------------------------------
    def publish_terms(self, out: Path, *, base_url: str | None = None) -> list[Path]:
        """Write the terms in force as RSL, robots.txt, TDMRep, ai.txt and header files under
        ``out``, naming ``base_url`` (default: the public URL); returns the paths written."""
        from syndic.terms.registry import write_published

        return write_published(self.published_files(base_url=base_url), out)

    def published_files(self, *, base_url: str | None = None) -> dict[str, str]:
        """The terms in force in each published format, by file path (``robots.txt``, ...)."""
        return self.terms.published_files(
            base_url=base_url or self.settings.public_url,
            coalition=self.name,
            crawlers=self.crawlers,
        )

    def distribute(
        self, agreement_id: int, *, run_id: int | None = None, actor: str = "steward"
    ) -> list[StatementView]:
        """Distribute an agreement's revenue under the charter's payout policy."""
        return self.charter_payouts.distribute(agreement_id, run_id=run_id, actor=actor)

    # --- detection and access --------------------------------------------------------------
    def detect_scan(self, request: ScanRequest, *, progress: Progress | None = None) -> ScanSummary:
        """Scan a third-party dataset for members' works and for canaries; stored and logged."""
        book = self.access.canary_book()
        return self.detection.scan(request, canaries=book.agreements_in, progress=progress)

    def evidence_bundle(self, scan_id: int, member: int, *, actor: str = "steward") -> bytes:
        """One member's signed evidence bundle for a stored scan (logged as ``actor``'s)."""
        from syndic.detection.service import EvidenceIssuer

        issuer = EvidenceIssuer(
            signer=self.signer,
            coalition={
                "name": self.name,
                "origin": self.provenance.origin,
                "public_key": self.public_key,
            },
            receipts=lambda idx: [r.to_dict() for r in self.provenance.receipts(idx)],
        )
        return self.detection.evidence(scan_id, member, issuer=issuer, actor=actor)

    def evidence_findings(self, member: int) -> list[dict[str, Any]]:
        """The stored scans that matched ``member``'s works, newest first."""
        return self.detection.findings(member)

    def delivered_form(self, work_id: int, agreement_id: int) -> dict[str, Any]:
        """How a work's text reads in deliveries under an agreement (for its members)."""
        work = self.members.get_work(work_id)
        self.deals.get_agreement(agreement_id)
        text = self.vault.read_bytes(Digest.parse(work.digest)).decode("utf-8")
        return {"work": work_id, **self.access.delivered_form(text, agreement_id)}

    def licensed_dataset(self, grant: Grant) -> Iterator[bytes]:
        """The dataset ``grant`` licenses, metered, marked for its licensee, with canaries."""
        return self.access.deliver(grant)

    def licensed_records(self, grant: Grant) -> Iterator[DatasetRecord]:
        """The same dataset as records (for tar shards): metered, marked, with canaries."""
        return self.access.deliver_records(grant)

    def assess_deal(self, deal_id: int) -> dict[str, Any]:
        """The deal's latest offer against the leverage price range, members' mandates and
        the charter's payout policy (``syndic.bargaining.assess``)."""
        return self.offers.assess(deal_id)

    def _offer_brief(self, deal_id: int) -> dict[str, Any]:
        """What the members are told about a deal's offer when its vote opens: its
        assessment, summed up in words and money (``syndic.bargaining.assess.for_vote``)."""
        from syndic.bargaining.assess import for_vote

        return for_vote(self.assess_deal(deal_id))

    # --- the crawler gate ------------------------------------------------------------------
    def gate(self, policy: Policy) -> Gate:
        """The gate for ``policy``, doing its I/O through a new ``Gateway`` over this Syndic."""
        from syndic import gateway

        return gateway.gate(self, policy)

    def gate_app(self, policy: Policy, upstream: str) -> tuple[ASGIApp, Gate]:
        """The gate in front of ``upstream`` (a base URL), and the gate itself."""
        from syndic import gateway

        return gateway.gate_app(self, policy, upstream)

    def issue_licence_token(
        self,
        *,
        client_secret: str,
        client_id: str | None = None,
        grant_type: str,
        license_xml: str | None = None,
        usage: str | None = None,
        agreement_id: int | None = None,
    ) -> IssuedToken:
        """The OLP-style token endpoint: a licence token for a licensee's API key (and id)."""
        from syndic.gate.licensing import issue_licence_token

        return issue_licence_token(
            self.deals,
            self.keys,
            client_secret=client_secret,
            client_id=client_id,
            grant_type=grant_type,
            license_xml=license_xml,
            usage=usage,
            agreement_id=agreement_id,
        )

    def crawl_report(self, *, site: str | None = None, top: int = 10) -> dict[str, Any]:
        """What the gate decided, per member site (see ``syndic.gate.report``)."""
        from syndic.gate.report import crawl_report

        return crawl_report(self.db, site=site, top=top)

    # --- for the edges: what the CLI, the API and the pages ask, so they hold no session ---
    @property
    def public_key(self) -> str:
        """The coalition's Ed25519 public key, base64 (what verifiers need)."""
        return self.signer.public_b64

    def audit(self, *, log: bool = True) -> tuple[AuditReport | None, StateReport]:
        """Verify the log (unless ``log`` is False), then replay it against the tables."""
        return (self.provenance.verify() if log else None), self.state_audit.run()

    def verify_vault(self) -> VaultReport:
        """Rehash every blob a work names; the report lists missing and corrupted ones."""
        return self.vault.verify(self.members.digests())

    def event_counts(self) -> dict[str, int]:
        """Log entries per event kind, most frequent first."""
        return self.provenance.kind_counts()

    def introspect_token(self, token: str) -> Grant | None:
        """What a licence token grants, or None when it is forged, expired or revoked."""
        try:
            return self.deals.grant(token)
        except AuthError:
            return None

    # --- sign-in for the pages ---------------------------------------------------------------
    def login_link(
        self,
        *,
        role: Role,
        subject_id: int | None,
        ttl: timedelta = DEFAULT_LINK_TTL,
        base_url: str | None = None,
        actor: str = "steward",
    ) -> str:
        """A one-time sign-in link (a URL) for the steward, a member or a licensee."""
        token = self.signin.issue_link(role=role, subject_id=subject_id, ttl=ttl, actor=actor)
        return f"{(base_url or self.settings.public_url).rstrip('/')}/signin/link?token={token}"

    def request_login_link(self, email: str, *, base_url: str | None = None) -> bool:
        """Mail a sign-in link to ``email`` if it is a member's, a licensee's contact or the
        steward's address; returns whether one was sent (the page never says, so that the
        form does not tell who is a member)."""
        wanted = email.strip().lower()
        who: tuple[Role, int | None] | None = None
        if self.settings.steward_email and wanted == self.settings.steward_email.lower():
            who = (Role.STEWARD, None)
        elif (m := self.members.by_email(wanted)) is not None:
            who = (Role.MEMBER, m.id)
        else:
            lic = [x for x in self.deals.list_licensees() if x.contact.lower() == wanted]
            who = (Role.LICENSEE, lic[0].id) if lic else None
        if who is None:
            return False
        url = self.login_link(role=who[0], subject_id=who[1], base_url=base_url, actor="web")
        minutes = int(DEFAULT_LINK_TTL.total_seconds() // 60)
        self.outbox.send(
            Mail(
                to=wanted,
                subject=f"Your sign-in link for {self.name}",
                body=f"Open this link to sign in to {self.name}. It works once, for "
                f"{minutes} minutes:\n\n{url}\n\nIf you did not ask for it, ignore this "
                "message.\n",
            )
        )
        return True

    def report(self) -> dict[str, Any]:
        """Counts and money: the statement ``syndic.summary`` holds, which the CLI's quick
        read runs too."""
        with self.db.read() as session:
            row = session.execute(text(REPORT_SQL)).one()
        return figures(tuple(row), currency=self.settings.currency)


__all__ = ["Syndic"]
