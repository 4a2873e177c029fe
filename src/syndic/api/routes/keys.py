"""API keys: a steward lists and revokes any; a member or licensee, their own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from syndic.api.bounds import PathId
from syndic.api.deps import GuardedRoute, SyndicDep, allow
from syndic.auth.models import Principal, Role

router = APIRouter(tags=["keys"], route_class=GuardedRoute)

# any key: what each caller sees and may revoke is scoped in the service (their own keys)
AnyKey = Annotated[Principal, allow(Role.STEWARD, Role.MEMBER, Role.LICENSEE)]


class KeyOut(BaseModel):
    id: int
    role: str
    subject_id: int | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


class RevokeIn(BaseModel):
    reason: str = Field(default="", max_length=200)


@router.get("/v1/keys")
def list_keys(syndic: SyndicDep, caller: AnyKey, revoked: bool = False) -> list[KeyOut]:
    """Keys in force (with ``revoked=true``, every key): all of them for a steward, the
    caller's own for a member or licensee. Never the key itself."""
    if caller.role is Role.STEWARD:
        views = syndic.keys.list(revoked=revoked)
    else:
        views = syndic.keys.list(role=caller.role, subject_id=caller.subject_id, revoked=revoked)
    return [KeyOut.model_validate(v, from_attributes=True) for v in views]


@router.post("/v1/keys/{key_id}/revoke")
def revoke_key(
    key_id: PathId, syndic: SyndicDep, caller: AnyKey, body: RevokeIn | None = None
) -> KeyOut:
    """Revoke a key at once (a steward: any key; anyone else: one of their own)."""
    view = syndic.keys.revoke(
        key_id, reason=body.reason if body else "", by=caller, actor=caller.actor
    )
    return KeyOut.model_validate(view, from_attributes=True)
