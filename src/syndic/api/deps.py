"""Request dependencies: the ``Syndic`` object, the caller, and what a route needs of it.

A route declares who may call it with one dependency, ``allow(...)``; the decision is the
authorization policy's (``syndic.auth.policy``), and so is the logging of refusals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from syndic.app import Syndic
from syndic.auth.models import Principal, Role
from syndic.auth.policy import Need
from syndic.errors import AuthError


def get_syndic(request: Request) -> Syndic:
    syndic: Syndic = request.app.state.syndic
    return syndic


SyndicDep = Annotated[Syndic, Depends(get_syndic)]


def principal(request: Request, syndic: SyndicDep) -> Principal:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("send an API key as `Authorization: Bearer <key>`")
    return syndic.keys.authenticate(value.strip())


Caller = Annotated[Principal, Depends(principal)]
"""Any authenticated caller: for routes whose answer depends on who asks (not who may)."""


def allow(*roles: Role, own: str | None = None, message: str = "") -> Any:
    """The dependency through which a route says who may call it: a key of one of ``roles``,
    or (with ``own="agreement"``) the owner of the resource named by the ``agreement_id``
    path parameter. Yields the caller."""
    need = Need.of(*roles, own=own, message=message)
    param = None if own is None else f"{own}_id"

    def check(request: Request, syndic: SyndicDep, caller: Caller) -> Principal:
        raw = None if param is None else request.path_params.get(param)
        if raw is not None and not str(raw).isdigit():
            return caller  # the route's own validation refuses it (422) before it runs
        subject = None if raw is None else int(raw)
        syndic.authorizer.check(caller, need, subject=subject)
        return caller

    return Depends(check)


Steward = Annotated[Principal, allow(Role.STEWARD)]
Licensee = Annotated[Principal, allow(Role.LICENSEE)]
