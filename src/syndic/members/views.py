"""What the service layer hands to the edges: plain, serialisable views of members and works."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from syndic.members.models import Member, NearCopy, NearCopyState, Work


class MemberView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    handle: str
    name: str
    status: str
    joined_at: datetime
    mandate: dict[str, Any]
    email: str | None = None

    @classmethod
    def of(cls, m: Member) -> MemberView:
        return cls(
            id=m.id,
            handle=m.handle,
            name=m.name,
            status=m.status,
            joined_at=m.joined_at,
            mandate=m.mandate(),
            email=m.email,
        )


class HolderView(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: int
    share_bp: int


class WorkView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    digest: str
    title: str
    kind: str
    collection: str
    status: str
    size_bytes: int
    registered_at: datetime
    log_index: int
    holders: list[HolderView]
    meta: dict[str, Any]
    media_type: str
    text_digest: str | None  # the extracted text's blob, when the work is not itself text
    # found when it was registered: {copy_of, similarity, state, dispute_candidate} or None
    near_copy: dict[str, Any] | None = None

    @classmethod
    def of(cls, w: Work) -> WorkView:
        return cls(
            id=w.id,
            digest=w.digest,
            title=w.title,
            kind=w.kind,
            collection=w.collection,
            status=w.status,
            size_bytes=w.size_bytes,
            registered_at=w.registered_at,
            log_index=w.log_index,
            holders=[HolderView(member_id=s.member_id, share_bp=s.share_bp) for s in w.shares],
            meta=w.meta,
            media_type=w.media_type,
            text_digest=w.text_digest,
            near_copy=None if w.near_copy is None else near_copy_view(w.near_copy),
        )


def near_copy_view(n: NearCopy) -> dict[str, Any]:
    return {
        "copy_of": n.copy_of,
        "similarity": round(n.similarity, 4),
        "state": n.state,
        "dispute_candidate": n.state != NearCopyState.OWN,
    }
