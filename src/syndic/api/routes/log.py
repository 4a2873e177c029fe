"""The log, read-only, at C2SP tlog-tiles paths: ``/v1/log/checkpoint`` and ``/v1/log/tile/...``.

Tiles and bundles are immutable once they exist and are cached long; the checkpoint changes
and is cached for seconds. Nothing here writes or signs: the log serves its latest stored
checkpoint and the tiles of that tree.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from syndic.api.deps import GuardedRoute, SyndicDep
from syndic.api.openapi import media

router = APIRouter(prefix="/v1/log", tags=["log"], route_class=GuardedRoute)


@router.get("/checkpoint", **media("text/plain; charset=utf-8"))
def checkpoint(syndic: SyndicDep) -> PlainTextResponse:
    cp = syndic.provenance.published_checkpoint()
    return PlainTextResponse(
        cp.note,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "public, max-age=5"},
    )


@router.get("/verifier-key", **media("text/plain; charset=utf-8"))
def verifier_key(syndic: SyndicDep) -> PlainTextResponse:
    return PlainTextResponse(syndic.provenance.verifier_key() + "\n")


@router.get("/tile/{rest:path}", **media("application/octet-stream"))
def tile(rest: str, syndic: SyndicDep) -> Response:
    data = syndic.provenance.tile(f"tile/{rest}")
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
