"""Licensees: the AI builders who license the pool, their signing keys and their size."""

from __future__ import annotations

from sqlalchemy import select

from syndic.deals import rows
from syndic.deals.events import LicenseeKeyRegistered, LicenseeRegistered, LicenseeUsersReported
from syndic.deals.models import Licensee
from syndic.deals.views import LicenseeView
from syndic.errors import Conflict, InvalidInput
from syndic.governance.mandates import is_vlop
from syndic.governance.service import GovernanceService
from syndic.keys import load_public_b64
from syndic.provenance.unit import Transactions
from syndic.validation import clean_name


class Licensees:
    def __init__(self, txs: Transactions, *, governance: GovernanceService) -> None:
        self.txs = txs
        self.governance = governance

    def register(
        self,
        *,
        name: str,
        contact: str,
        public_key: str | None = None,
        monthly_active_users: int = 0,
        actor: str = "steward",
    ) -> LicenseeView:
        name = clean_name(name, what="a licensee name")
        contact = clean_name(contact, what="a contact", required=False)
        if public_key is not None:
            load_public_b64(public_key)
        if monthly_active_users < 0:
            raise InvalidInput("monthly active users cannot be negative")
        with self.txs.write() as tx:
            if tx.session.scalar(select(Licensee.id).where(Licensee.name == name)) is not None:
                raise Conflict(f"a licensee named {name!r} already exists")
            lic = Licensee(
                name=name,
                contact=contact,
                public_key=public_key,
                monthly_active_users=monthly_active_users,
                created_at=tx.now(),
            )
            tx.session.add(lic)
            tx.session.flush()
            event = LicenseeRegistered(
                licensee=lic.id,
                name=name,
                monthly_active_users=monthly_active_users,
                public_key=public_key,
            )
            tx.record(event, actor=actor)
            return LicenseeView.of(lic)

    def register_key(self, licensee_id: int, public_key: str, *, actor: str) -> LicenseeView:
        """The licensee's Ed25519 public key, which must sign its agreements."""
        load_public_b64(public_key)
        with self.txs.write() as tx:
            lic = rows.licensee(tx.session, licensee_id)
            lic.public_key = public_key
            tx.record(
                LicenseeKeyRegistered(licensee=licensee_id, public_key=public_key), actor=actor
            )
            return LicenseeView.of(lic)

    def every(self) -> list[LicenseeView]:
        with self.txs.read() as session:
            return [
                LicenseeView.of(x) for x in session.scalars(select(Licensee).order_by(Licensee.id))
            ]

    def get(self, licensee_id: int) -> LicenseeView:
        with self.txs.read() as session:
            return LicenseeView.of(rows.licensee(session, licensee_id))

    def requires_negotiation(self, licensee_id: int) -> bool:
        """Market-leader clause: a builder at or above the charter's monthly-active-users
        threshold needs a negotiated licence; the open licence (if any) is for smaller ones."""
        threshold = self.governance.charter().vlop_mau_threshold
        with self.txs.read() as session:
            return rows.needs_negotiation(rows.licensee(session, licensee_id), threshold)

    def report_users(
        self, licensee_id: int, monthly_active_users: int, *, actor: str
    ) -> LicenseeView:
        """The licensee's monthly active users, as its agreements oblige it to report; at or
        above the charter's threshold it is a very large platform from now on."""
        if isinstance(monthly_active_users, bool) or monthly_active_users < 0:
            raise InvalidInput("monthly active users is a whole number, 0 or more")
        with self.txs.write() as tx:
            lic = rows.licensee(tx.session, licensee_id, lock=True)
            lic.monthly_active_users = monthly_active_users
            threshold = self.governance.charter(tx=tx).vlop_mau_threshold
            event = LicenseeUsersReported(
                licensee=licensee_id,
                monthly_active_users=monthly_active_users,
                very_large_platform=is_vlop(monthly_active_users, threshold),
            )
            tx.record(event, actor=actor)
            return LicenseeView.of(lic)
