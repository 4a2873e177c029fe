"""A member's works: a searchable list, one page per work (its receipt, **Withdraw**,
**Dispute**), and registering a new work by upload with co-holders and their shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, Response, UploadFile

from syndic.api.bounds import PathId
from syndic.auth.models import Role
from syndic.auth.policy import Need
from syndic.errors import Forbidden, InvalidInput, SharesError, TooLarge
from syndic.members.service import NewWork
from syndic.members.shares import parse_percent
from syndic.members.views import WorkView
from syndic.web.pages.common import page_router, see_other, syndic_of
from syndic.web.pages.member import member_actor, member_viewer
from syndic.web.render import render
from syndic.web.session import Viewer, require

router = page_router()
WORK_HOLDER = Need.of(Role.STEWARD, own="work")
MAX_UPLOAD = 20 * 1024 * 1024
CO_HOLDER_ROWS = 3
PAGE = 50


def _matches(w: WorkView, q: str) -> bool:
    q = q.lower()
    return q in w.title.lower() or q in w.digest or q in w.collection.lower()


@router.get("/members/{member_id}/works")
def works(
    request: Request, member_id: PathId, q: str = "", registered: int | None = None
) -> Response:
    member_viewer(request, member_id)
    every = list(syndic_of(request).members.iter_works(member_id=member_id))
    found = [w for w in every if _matches(w, q.strip())] if q.strip() else every
    return render(
        request,
        "member/works.html",
        title="Your works",
        member_id=member_id,
        works=found[:PAGE],
        total=len(every),
        found=len(found),
        q=q,
        registered=registered,
        copies=syndic_of(request).members.near_copies(member_id=member_id),
    )


def _form(
    request: Request,
    member_id: PathId,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "member/work_new.html",
        status=status,
        title="Register a work",
        member_id=member_id,
        rows=range(1, CO_HOLDER_ROWS + 1),
        errors=errors or {},
        values=values or {},
    )


@router.get("/members/{member_id}/works/new")
def new_work(request: Request, member_id: PathId) -> Response:
    member_actor(request, member_id)
    return _form(request, member_id)


def _holders(member_id: PathId, values: dict[str, str]) -> list[tuple[int, int]]:
    """Your share, then each co-holder row that names a member."""
    holders = [(member_id, parse_percent(values.get("my_share", "") or "0"))]
    for i in range(1, CO_HOLDER_ROWS + 1):
        who = values.get(f"holder_{i}", "").strip()
        share = values.get(f"share_{i}", "").strip()
        if not who and not share:
            continue
        if not who.isdigit():
            raise SharesError(f"co-holder {i}: give the member's number")
        holders.append((int(who), parse_percent(share or "0")))
    return holders


@router.post("/members/{member_id}/works")
async def register(
    request: Request,
    member_id: PathId,
    content: Annotated[UploadFile | None, File()] = None,
) -> Response:
    viewer = member_actor(request, member_id)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors: dict[str, str] = {}
    data = b""
    if content is None or not content.filename:
        errors["content"] = "Choose the file of the work."
    else:
        data = await content.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            errors["content"] = str(TooLarge("the file is larger than 20 MB").message)
        elif not data:
            errors["content"] = "The file is empty."
    if not values.get("title", "").strip():
        errors["title"] = "Give the work a title."
    holders: list[tuple[int, int]] = []
    try:
        holders = _holders(member_id, values)
    except InvalidInput as exc:
        errors["holders"] = exc.message
    if errors:
        return _form(request, member_id, status=422, errors=errors, values=values)
    work = NewWork(
        content=data,
        title=values["title"],
        kind=values.get("kind", "text") or "text",
        collection=values.get("collection", "").strip() or "default",
        holders=holders,
        meta={"filename": (content.filename if content else "") or ""},
    )
    try:
        w, _ = await _in_thread(request, work, member_id, viewer)
    except SharesError as exc:
        return _form(request, member_id, status=422, errors={"holders": exc.message}, values=values)
    except InvalidInput as exc:
        return _form(request, member_id, status=422, errors={"form": exc.message}, values=values)
    return see_other(f"/works/{w.id}?registered=1")


async def _in_thread(
    request: Request, work: NewWork, member_id: PathId, viewer: Viewer
) -> tuple[WorkView, bool]:
    """The service is synchronous (one database writer): run it off the event loop."""
    from starlette.concurrency import run_in_threadpool

    syndic = syndic_of(request)
    return await run_in_threadpool(
        syndic.members.register_work,
        work,
        registered_by=member_id,
        actor=viewer.principal.actor,
    )


# --- one work ------------------------------------------------------------------------------
def _holder(request: Request, work_id: PathId) -> Viewer:
    return require(request, WORK_HOLDER, subject=work_id)


@router.get("/works/{work_id}")
def work(request: Request, work_id: PathId, registered: int | None = None) -> Response:
    viewer = _holder(request, work_id)
    w = syndic_of(request).members.get_work(work_id)
    return render(
        request,
        "member/work.html",
        title=w.title,
        work=w,
        member_id=viewer.subject_id,
        registered=registered,
    )


@router.get("/works/{work_id}/receipt.json")
def receipt(request: Request, work_id: PathId) -> Response:
    _holder(request, work_id)
    syndic = syndic_of(request)
    w = syndic.members.get_work(work_id)
    return Response(
        syndic.provenance.receipt(w.log_index).to_json() + b"\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="receipt-work-{work_id}.json"'},
    )


def _acting_holder(request: Request, work_id: PathId) -> Viewer:
    viewer = _holder(request, work_id)
    if viewer.role is not Role.MEMBER:
        raise Forbidden("only a holder of the work can do this here")
    return viewer


@router.post("/works/{work_id}/withdraw")
def withdraw(request: Request, work_id: PathId, reason: Annotated[str, Form()] = "") -> Response:
    viewer = _acting_holder(request, work_id)
    syndic_of(request).members.withdraw_work(work_id, reason=reason, actor=viewer.principal.actor)
    return see_other(f"/works/{work_id}")


@router.post("/works/{work_id}/dispute")
def dispute(request: Request, work_id: PathId, reason: Annotated[str, Form()] = "") -> Response:
    viewer = _acting_holder(request, work_id)
    if not reason.strip():
        w = syndic_of(request).members.get_work(work_id)
        return render(
            request,
            "member/work.html",
            status=422,
            title=w.title,
            work=w,
            member_id=viewer.subject_id,
            errors={"reason": "Say what is disputed: who holds the work, or the shares."},
        )
    syndic_of(request).members.dispute_work(work_id, reason=reason, actor=viewer.principal.actor)
    return see_other(f"/works/{work_id}")
