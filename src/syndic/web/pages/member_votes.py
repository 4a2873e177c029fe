"""A member's votes: each open proposal explained for them, casting a ballot (a plain choice,
or a quadratic allocation whose credit cost is shown as it is typed), the ballot receipt, and
delegating or revoking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response

from syndic.api.bounds import PathId
from syndic.errors import CreditsExceeded, InvalidInput, NotFound
from syndic.governance.views import BallotReceipt, ProposalView
from syndic.governance.voting.outcome import OPTIONS
from syndic.web.pages.common import page_router, see_other, syndic_of
from syndic.web.pages.member import member_actor, member_viewer
from syndic.web.render import render

router = page_router()
TOPICS = (("", "every topic"), ("deals", "deals"), ("charter", "charter amendments"))


def _votes_page(
    request: Request,
    member_id: PathId,
    *,
    status: int = 200,
    saved: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    syndic = syndic_of(request)
    proposals = [p.for_members() for p in syndic.governance.list_proposals()]
    return render(
        request,
        "member/votes.html",
        status=status,
        title="Votes",
        member_id=member_id,
        open=[p for p in proposals if p.status == "open"],
        closed=[p for p in proposals if p.status != "open"][-10:],
        done=syndic.governance.voted_on(member_id),
        delegations=syndic.governance.delegations(member_id=member_id),
        topics=TOPICS,
        saved=saved,
        errors=errors or {},
    )


@router.get("/members/{member_id}/votes")
def votes(request: Request, member_id: PathId, saved: str = "") -> Response:
    member_viewer(request, member_id)
    return _votes_page(request, member_id, saved=saved)


def _proposal_page(
    request: Request,
    member_id: PathId,
    proposal_id: PathId,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    brief = syndic_of(request).portal.brief(member_id, proposal_id)
    return render(
        request,
        "member/proposal.html",
        status=status,
        title=f"Vote {proposal_id}",
        member_id=member_id,
        brief=brief,
        options=OPTIONS,
        errors=errors or {},
        values=values or {},
    )


@router.get("/members/{member_id}/votes/{proposal_id}")
def proposal(request: Request, member_id: PathId, proposal_id: PathId) -> Response:
    member_viewer(request, member_id)
    return _proposal_page(request, member_id, proposal_id)


def _allocation(values: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for option in OPTIONS:
        raw = values.get(f"votes_{option}", "").strip() or "0"
        if not raw.isdigit():
            raise InvalidInput(f"votes for {option} must be a whole number, 0 or more")
        out[option] = int(raw)
    if not any(out.values()):
        raise InvalidInput("give at least one vote to one option")
    return out


@router.post("/members/{member_id}/votes/{proposal_id}")
async def cast(request: Request, member_id: PathId, proposal_id: PathId) -> Response:
    viewer = member_actor(request, member_id)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    syndic = syndic_of(request)
    p = syndic.governance.get(proposal_id)
    try:
        if p.frozen_rule().voting.spends_credits:
            choice, allocation = None, _allocation(values)
        else:
            choice, allocation = values.get("choice") or "", None
            if choice not in OPTIONS:
                raise InvalidInput("choose yes, no or abstain")
        receipt = await _cast(
            request,
            p,
            member_id=member_id,
            choice=choice,
            votes=allocation,
            actor=viewer.principal.actor,
        )
    except (CreditsExceeded, InvalidInput) as exc:
        return _proposal_page(
            request,
            member_id,
            proposal_id,
            status=422,
            errors={"ballot": exc.message},
            values=values,
        )
    return render(
        request,
        "member/ballot_receipt.html",
        title="Your ballot receipt",
        member_id=member_id,
        receipt=receipt,
        proposal=p.for_members(),
    )


async def _cast(
    request: Request,
    p: ProposalView,
    *,
    member_id: PathId,
    choice: str | None,
    votes: dict[str, int] | None,
    actor: str,
) -> BallotReceipt:
    """A deal's vote is cast through the deal (so the deal's row is held), any other through
    governance: the same calls the CLI and the API make."""
    from starlette.concurrency import run_in_threadpool

    syndic = syndic_of(request)
    if p.kind == "deal" and p.subject_id is not None:
        return await run_in_threadpool(
            syndic.deals.cast_vote,
            p.subject_id,
            member_id=member_id,
            choice=choice,
            votes=votes,
            actor=actor,
        )
    return await run_in_threadpool(
        syndic.governance.cast,
        p.id,
        member_id=member_id,
        choice=choice,
        votes=votes,
        actor=actor,
    )


@router.post("/members/{member_id}/delegation")
def delegate(
    request: Request,
    member_id: PathId,
    delegate_id: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
) -> Response:
    viewer = member_actor(request, member_id)
    syndic = syndic_of(request)
    try:
        if not delegate_id.strip().isdigit():
            raise InvalidInput("give the member number of the person who carries your vote")
        syndic.governance.delegate(
            member_id, int(delegate_id), topic=topic or None, actor=viewer.principal.actor
        )
    except (InvalidInput, NotFound) as exc:
        return _votes_page(request, member_id, status=422, errors={"delegate_id": exc.message})
    return see_other(f"/members/{member_id}/votes?saved=delegated")


@router.post("/members/{member_id}/delegation/revoke")
def revoke(request: Request, member_id: PathId, topic: Annotated[str, Form()] = "") -> Response:
    viewer = member_actor(request, member_id)
    syndic_of(request).governance.revoke_delegation(
        member_id, topic=topic or None, actor=viewer.principal.actor
    )
    return see_other(f"/members/{member_id}/votes?saved=revoked")
