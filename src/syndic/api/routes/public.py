"""What anyone may read: the coalition, its key and its terms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from syndic.api.deps import SyndicDep
from syndic.terms.registry import terms_document

router = APIRouter(tags=["public"])


@router.get("/v1/coalition")
def coalition(s: SyndicDep) -> dict[str, Any]:
    return {
        "name": s.name,
        "public_key": s.signer.public_b64,
        "currency": s.settings.currency,
    }


@router.get("/v1/terms")
def terms(s: SyndicDep) -> dict[str, Any]:
    version, t = s.terms.current()
    return {"version": version, **terms_document(t)}
