"""Request dependencies: the ``Syndic`` object and the caller's role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from syndic.app import Syndic
from syndic.auth.service import Principal, Role
from syndic.errors import AuthError, Forbidden


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


def require(caller: Principal, *roles: Role) -> None:
    if caller.role not in roles:
        raise Forbidden(f"this needs the {' or '.join(r.value for r in roles)} role")


def require_self_or_steward(caller: Principal, role: Role, subject_id: int) -> None:
    if caller.role is Role.STEWARD:
        return
    if caller.role is not role or caller.subject_id != subject_id:
        raise Forbidden(f"a {caller.role.value} key may only read its own records")
