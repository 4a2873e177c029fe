"""What anyone may read: the coalition, its key and its terms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from syndic.api.deps import GuardedRoute, SyndicDep

router = APIRouter(tags=["public"], route_class=GuardedRoute)


@router.get("/v1/coalition")
def coalition(syndic: SyndicDep) -> dict[str, Any]:
    return {
        "name": syndic.name,
        "public_key": syndic.public_key,
        "currency": syndic.settings.currency,
    }


@router.get("/v1/terms")
def terms(syndic: SyndicDep) -> dict[str, Any]:
    version, t = syndic.terms.current()
    return {"version": version, **t.document()}
