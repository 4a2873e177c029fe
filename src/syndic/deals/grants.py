"""The database side of a licence token: what a token grants, and whether that grant
covers a usage and a member's works (the gate asks this for every licensed request)."""

from __future__ import annotations

import json

from sqlalchemy import select

from syndic.deals.models import Agreement, AgreementWork
from syndic.deals.service import DealService
from syndic.deals.views import Grant
from syndic.errors import Forbidden
from syndic.members.models import Share
from syndic.terms.models import Terms, Usage


def permits(grant: Grant, usage: Usage) -> bool:
    return Terms.model_construct(
        permits=frozenset(Usage(u) for u in grant.usages), prohibits=frozenset()
    ).allows(usage)


def check_grant(deals: DealService, token: str, *, usage: Usage, member: int | None) -> Grant:
    """The grant of ``token`` if it permits ``usage`` and its agreement covers a work of
    ``member`` (any member when None); raises ``AuthError`` for a token that is forged,
    expired or revoked, and ``Forbidden`` for one outside this scope."""
    with deals.db.read() as s:
        grant = deals.check_token(s, token)
        if not permits(grant, usage):
            raise Forbidden(f"agreement {grant.agreement_id} does not permit {usage.value}")
        if member is None:
            return grant
        covered = s.scalar(
            select(AgreementWork.id)
            .join(Share, Share.work_id == AgreementWork.work_id)
            .where(AgreementWork.agreement_id == grant.agreement_id, Share.member_id == member)
            .limit(1)
        )
    if covered is None:
        raise Forbidden(f"agreement {grant.agreement_id} does not cover this site's works")
    return grant


def grant_of(deals: DealService, token: str) -> Grant:
    with deals.db.read() as s:
        return deals.check_token(s, token)


def agreement_terms(deals: DealService, agreement_id: int) -> Terms:
    with deals.db.read() as s:
        a = s.get(Agreement, agreement_id)
        assert a is not None
        return Terms.model_validate(json.loads(a.document)["terms"])
