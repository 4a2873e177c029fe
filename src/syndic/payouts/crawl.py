"""Pay-per-crawl money, from the crawler that owes it to the member whose site was crawled.

The gate books each charge as owed: ``receivable:crawler:<agent>`` against
``crawl:charged:<site>``, with the site's member on the decision. When the coalition collects
money from a crawler's operator, ``collect`` splits it over that crawler's outstanding
charges, site by site in proportion to what each is owed (largest remainder, so the parts
add up to the amount exactly), and credits each site's member's payable in one balanced
posting; the next payout run pays them like licence revenue. Charges on a site whose policy
names no member (`member: any`), or in another currency than the books', stay owed: there is
nobody (or no rail) to pay them to, and the refusal says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, DateTime, Integer, String, column, func, select, table
from sqlalchemy.orm import Session

from syndic.errors import InvalidInput, NotFound
from syndic.money import Money, check_minor
from syndic.payouts.ledger import CASH, Ledger, payable_account
from syndic.payouts.models import CrawlSettlement
from syndic.payouts.policies import split_exact

# The gate's decision rows, as far as charges go: read here without importing the gate (the
# gate owns the table, gate/models.py; payouts only sums what was charged on it).
_charges = table(
    "gate_decisions",
    column("id", BigInteger),
    column("site", String),
    column("at", DateTime),
    column("agent", String),
    column("member_id", Integer),
    column("charged_minor", BigInteger),
    column("currency", String),
)


def receivable_account(agent: str) -> str:
    """What crawler ``agent`` owes for pay-per-crawl charges (the gate books charges here)."""
    return f"receivable:crawler:{agent}"[:120]


def charged_account(site: str) -> str:
    """Charges made on ``site`` and not yet collected and credited to its member."""
    return f"crawl:charged:{site}"


def book_charge(
    session: Session,
    ledger: Ledger,
    *,
    agent: str,
    site: str,
    path: str,
    amount_minor: int,
    currency: str,
    actor: str,
) -> int:
    """Book a pay-per-crawl charge as owed by the crawler: its receivable account against the
    site's charged account (collected later by ``collect``). Runs in the caller's write
    transaction; returns the ledger transaction's id."""
    return ledger.post(
        session,
        memo=f"pay per crawl: {site} {path[:200]}",
        lines=[(receivable_account(agent), amount_minor), (charged_account(site), -amount_minor)],
        currency=currency,
        actor=actor,
    )


@dataclass(frozen=True)
class CrawlOwed:
    """Charges of one crawler on one site (for one member, in one currency)."""

    agent: str
    site: str
    member_id: int | None
    currency: str
    charged_minor: int
    settled_minor: int

    @property
    def owed_minor(self) -> int:
        return self.charged_minor - self.settled_minor

    def view(self) -> dict[str, object]:
        """As the CLI's --json and the API show it."""
        return {
            "agent": self.agent,
            "site": self.site,
            "member": self.member_id,
            "currency": self.currency,
            "charged_minor": self.charged_minor,
            "settled_minor": self.settled_minor,
            "owed_minor": self.owed_minor,
        }


@dataclass(frozen=True)
class CrawlAllocation:
    site: str
    member_id: int
    amount_minor: int

    def view(self) -> dict[str, object]:
        return {"site": self.site, "member": self.member_id, "amount_minor": self.amount_minor}


def owed(session: Session, *, agent: str | None = None) -> list[CrawlOwed]:
    """Every (agent, site, member, currency) with charges, and how much is settled."""
    d = _charges.c
    q = (
        select(d.agent, d.site, d.member_id, d.currency, func.sum(d.charged_minor))
        .where(d.charged_minor > 0)
        .group_by(d.agent, d.site, d.member_id, d.currency)
    )
    c = CrawlSettlement
    sq = select(c.agent, c.site, c.member_id, c.currency, func.sum(c.amount_minor)).group_by(
        c.agent, c.site, c.member_id, c.currency
    )
    if agent is not None:
        q, sq = q.where(d.agent == agent), sq.where(c.agent == agent)
    settled: dict[tuple[str, str, int | None, str | None], int] = {
        (a, s, m, cur): int(n) for a, s, m, cur, n in session.execute(sq)
    }
    rows = [
        CrawlOwed(a, s, m, cur or "", int(n), settled.get((a, s, m, cur), 0))
        for a, s, m, cur, n in session.execute(q)
    ]
    return sorted(rows, key=lambda r: (r.agent, r.site, r.member_id or 0, r.currency))


def collect(
    session: Session,
    ledger: Ledger,
    *,
    agent: str,
    amount_minor: int,
    currency: str,
    actor: str,
) -> list[CrawlAllocation]:
    """Book ``amount_minor`` received from ``agent``'s operator and credit the members whose
    sites it was charged on; returns the allocations. Runs in the caller's write
    transaction."""
    check_minor(amount_minor, allow_zero=False)
    # lock the crawler's charges: two collections for one crawler are counted one after the other
    d = _charges.c
    session.execute(
        select(d.id).where(d.agent == agent, d.charged_minor > 0).with_for_update()
    ).all()
    rows = [r for r in owed(session, agent=agent) if r.owed_minor > 0]
    if not rows:
        raise NotFound(f"crawler {agent!r} owes nothing for pay-per-crawl charges")
    payable = [r for r in rows if r.member_id is not None and r.currency == currency]
    total = sum(r.owed_minor for r in payable)
    if amount_minor > total:
        held = [r for r in rows if r not in payable]
        why = (
            "; charges on "
            + ", ".join(sorted({f"{r.site} ({r.currency or '?'})" for r in held}))
            + " cannot be paid to a member (no `member:` in the site's policy, or not in "
            + currency
            + ")"
            if held
            else ""
        )
        raise InvalidInput(
            f"crawler {agent!r} owes {Money(total, currency)} payable to members; "
            f"cannot collect {Money(amount_minor, currency)}{why}"
        )
    parts = split_exact(amount_minor, {i: r.owed_minor for i, r in enumerate(payable)})
    allocations = [
        CrawlAllocation(payable[i].site, int(payable[i].member_id or 0), x)
        for i, x in sorted(parts.items())
        if x > 0
    ]
    lines = [(CASH, amount_minor), (receivable_account(agent), -amount_minor)]
    for a in allocations:
        lines += [(charged_account(a.site), a.amount_minor)]
        lines += [(payable_account(a.member_id), -a.amount_minor)]
    txn = ledger.post(
        session,
        memo=f"pay per crawl collected from {agent}"[:300],
        lines=lines,
        currency=currency,
        actor=actor,
    )
    now = ledger.events.clock.now()
    session.add_all(
        CrawlSettlement(
            agent=agent,
            site=a.site,
            member_id=a.member_id,
            amount_minor=a.amount_minor,
            currency=currency,
            ledger_txn_id=txn,
            created_at=now,
        )
        for a in allocations
    )
    return allocations
