"""Loading the rows a deal move acts on, and the market-leader clause, shared by the parts.

``lock`` holds a row ``FOR UPDATE`` until the transaction ends (on PostgreSQL; SQLite has one
writer at a time). Lock order, so two writers never wait on each other in a circle: deal,
then its proposal, then agreement, then members."""

from __future__ import annotations

from sqlalchemy.orm import Session

from syndic.clock import iso
from syndic.deals.models import Agreement, Deal, Licensee
from syndic.deals.states import NEGOTIATING, Party
from syndic.errors import AuthError, Conflict, Forbidden, NotFound
from syndic.governance.charter import Charter
from syndic.governance.mandates import is_vlop
from syndic.provenance.unit import Tx
from syndic.terms.models import PaymentType, Terms


def licensee(session: Session, licensee_id: int, *, lock: bool = False) -> Licensee:
    lic = session.get(Licensee, licensee_id, with_for_update=lock or None)
    if lic is None:
        raise NotFound(f"no licensee with id {licensee_id}")
    return lic


def deal(session: Session, deal_id: int, *, lock: bool = False) -> Deal:
    d = session.get(Deal, deal_id, with_for_update=lock or None, populate_existing=lock)
    if d is None:
        raise NotFound(f"no deal with id {deal_id}")
    return d


def agreement(session: Session, agreement_id: int, *, lock: bool = False) -> Agreement:
    a = session.get(Agreement, agreement_id, with_for_update=lock or None, populate_existing=lock)
    if a is None:
        raise NotFound(f"no agreement with id {agreement_id}")
    return a


def locked_agreement(tx: Tx, agreement_id: int) -> tuple[Deal, Agreement]:
    """An agreement and its deal, both locked in lock order (deal first)."""
    a = agreement(tx.session, agreement_id)
    d = deal(tx.session, a.deal_id, lock=True)
    return d, agreement(tx.session, agreement_id, lock=True)


def check_turn(tx: Tx, d: Deal, *, party: Party, licensee_id: int | None) -> None:
    """Refuse a move by someone who is not a party, or by the party whose turn it isn't."""
    if party is Party.LICENSEE and licensee_id != d.licensee_id:
        raise Forbidden(f"deal {d.id} is not this licensee's")
    if d.status not in NEGOTIATING:
        return
    if d.offer_by == party:
        raise Forbidden(
            f"the latest offer on deal {d.id} is the {party.value}'s own; "
            f"it is the {party.other.value}'s turn"
        )
    assert d.offer_expires_at is not None
    if tx.now() >= d.offer_expires_at:
        raise Conflict(f"the offer on deal {d.id} expired at {iso(d.offer_expires_at)}")


# --- the market-leader clause ----------------------------------------------------------------
def needs_negotiation(lic: Licensee, threshold: int) -> bool:
    """A builder at or above the threshold of monthly active users is a very large platform:
    only a licence negotiated with the coalition covers it."""
    return is_vlop(lic.monthly_active_users, threshold)


def on_open_terms(terms: Terms) -> bool:
    """Terms with no price (free, or attribution only): what the charter's open licence gives
    small builders."""
    free = (PaymentType.FREE, PaymentType.ATTRIBUTION)
    return terms.payment_type in free and not terms.amount_minor


def refuse_open_terms(
    lic: Licensee,
    terms: Terms,
    *,
    threshold: int,
    open_licence: str | None,
    error: type[Forbidden] | type[AuthError] = Forbidden,
) -> None:
    """The open terms (no price: free or attribution only) are for small builders; a very
    large platform is refused them, whatever the deal or agreement says."""
    if on_open_terms(terms) and needs_negotiation(lic, threshold):
        named = f" ({open_licence})" if open_licence else ""
        raise error(
            f"licensee {lic.id} is a very large platform ({lic.monthly_active_users} "
            f"monthly active users, the charter's threshold is {threshold}): it needs a "
            f"negotiated licence with a price, not the open terms{named}"
        )


def refuse_open_terms_under(
    charter: Charter,
    lic: Licensee,
    terms: Terms,
    error: type[Forbidden] | type[AuthError] = Forbidden,
) -> None:
    """``refuse_open_terms`` under the charter in force."""
    refuse_open_terms(
        lic,
        terms,
        threshold=charter.vlop_mau_threshold,
        open_licence=charter.open_licence,
        error=error,
    )
