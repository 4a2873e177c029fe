"""The coalition's public page: its terms in plain words with the machine-readable files,
counts, the latest signed checkpoint, and the in-browser receipt verifier."""

from __future__ import annotations

from fastapi import Request, Response

from syndic.errors import NotFound
from syndic.web.pages.common import page_router, syndic_of
from syndic.web.render import render

router = page_router()

USAGE_WORDS = {
    "all": "any use",
    "ai-all": "any use by AI systems",
    "ai-train": "training AI models",
    "ai-input": "feeding works to AI systems as input (for example retrieval)",
    "ai-index": "indexing works for AI-powered search",
    "search": "search engines",
}
MACHINE_FILES = (
    ("/license.xml", "RSL 1.0 licence"),
    ("/robots.txt", "robots.txt with AI crawler rules and a License line"),
    ("/ai.txt", "ai.txt"),
    ("/.well-known/tdmrep.json", "W3C TDMRep"),
    ("/v1/terms", "terms as JSON"),
    ("/v1/charter", "the charter as JSON"),
)


@router.get("/")
def coalition_page(request: Request) -> Response:
    syndic = syndic_of(request)
    try:
        version, terms = syndic.terms.current()
        doc: dict[str, object] | None = {"version": version, **terms.document()}
    except NotFound:
        doc = None
    try:
        checkpoint = syndic.provenance.published_checkpoint()
    except NotFound:
        checkpoint = None
    return render(
        request,
        "public/coalition.html",
        title=syndic.name,
        terms=doc,
        words=USAGE_WORDS,
        files=MACHINE_FILES,
        counts=syndic.report(),
        checkpoint=checkpoint,
        public_key=syndic.public_key,
        origin=syndic.provenance.origin,
    )
