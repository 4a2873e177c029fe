"""A member's evidence of un-licensed use: the stored scans that found their works in someone
else's dataset, and for each the signed evidence bundle (the same bundle, signed and logged
the same way, as ``syndic detect evidence SCAN --member ID`` writes). Only the member themself
and the steward see it; anyone else's attempt is refused and logged as ``access.denied``."""

from __future__ import annotations

from fastapi import Request, Response

from syndic.api.bounds import PathId
from syndic.web.pages.common import page_router, syndic_of
from syndic.web.pages.member import member_viewer
from syndic.web.render import render

router = page_router()


@router.get("/members/{member_id}/evidence")
def evidence(request: Request, member_id: PathId) -> Response:
    member_viewer(request, member_id)
    syndic = syndic_of(request)
    return render(
        request,
        "member/evidence.html",
        title="Evidence",
        member=syndic.members.get(member_id),
        findings=syndic.evidence_findings(member_id),
        public_key=syndic.public_key,
    )


@router.post("/members/{member_id}/evidence/{scan_id}")
def evidence_bundle(request: Request, member_id: PathId, scan_id: PathId) -> Response:
    """The bundle, signed now and logged (a POST: issuing one is written to the log)."""
    viewer = member_viewer(request, member_id)
    body = syndic_of(request).evidence_bundle(scan_id, member_id, actor=viewer.principal.actor)
    return Response(
        body + b"\n",  # byte for byte the file the CLI writes
        media_type="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="evidence-scan{scan_id}-member{member_id}.json"'
            ),
            "Cache-Control": "no-store",
        },
    )
