"""Serialisable views of licensees, deals and agreements, and the token ``Grant``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from syndic.deals.models import Agreement, Deal, DealOffer, Licensee
from syndic.terms.models import Terms, Usage


class LicenseeView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    contact: str
    monthly_active_users: int
    public_key: str | None
    created_at: datetime

    @classmethod
    def of(cls, x: Licensee) -> LicenseeView:
        return cls(
            id=x.id,
            name=x.name,
            contact=x.contact,
            monthly_active_users=x.monthly_active_users,
            public_key=x.public_key,
            created_at=x.created_at,
        )


class DealView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    licensee_id: int
    terms: dict[str, Any]
    scope: list[str]
    clauses: dict[str, Any]
    status: str
    round: int
    offer_by: str
    offer_expires_at: datetime | None
    created_at: datetime
    vote_closes_at: datetime | None
    outcome: dict[str, Any] | None

    @classmethod
    def of(cls, d: Deal) -> DealView:
        return cls(
            id=d.id,
            licensee_id=d.licensee_id,
            terms=d.terms.document(),
            scope=d.scope,
            clauses=d.clauses,
            status=d.status,
            round=d.round,
            offer_by=d.offer_by,
            offer_expires_at=d.offer_expires_at,
            created_at=d.created_at,
            vote_closes_at=d.vote_closes_at,
            outcome=d.outcome,
        )


class OfferView(BaseModel):
    """One offer in a negotiation: who made it, its full content, what it changed."""

    model_config = ConfigDict(frozen=True)

    deal_id: int
    round: int
    party: str
    actor: str
    offer: dict[str, Any]
    diff: list[dict[str, Any]]
    created_at: datetime
    expires_at: datetime | None
    log_index: int

    @classmethod
    def of(cls, o: DealOffer) -> OfferView:
        return cls(
            deal_id=o.deal_id,
            round=o.round,
            party=o.party,
            actor=o.actor,
            offer=o.document,
            diff=o.diff,
            created_at=o.created_at,
            expires_at=o.expires_at,
            log_index=o.log_index,
        )


class AgreementView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    deal_id: int
    licensee_id: int
    status: str
    scope_root: str
    works_count: int
    starts_at: datetime
    ends_at: datetime
    licensee_signed_at: datetime | None
    log_index: int

    @classmethod
    def of(cls, a: Agreement) -> AgreementView:
        return cls(
            id=a.id,
            deal_id=a.deal_id,
            licensee_id=a.licensee_id,
            status=a.status,
            scope_root=a.scope_root,
            works_count=a.works_count,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            licensee_signed_at=a.licensee_signed_at,
            log_index=a.log_index,
        )


@dataclass(frozen=True)
class Grant:
    """What a valid access token allows: one agreement's scope, for its usages."""

    token_id: int
    agreement_id: int
    licensee_id: int
    usages: tuple[str, ...]
    expires_at: datetime

    def permits(self, usage: Usage) -> bool:
        """Whether the agreement's usages include ``usage`` (a broader usage covers it)."""
        granted = frozenset(Usage(u) for u in self.usages)
        return Terms.model_construct(permits=granted, prohibits=frozenset()).allows(usage)
