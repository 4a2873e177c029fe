"""Request dependencies: the ``Syndic`` object, the caller, and who may call a route.

A route declares who may call it with one dependency, ``allow(...)`` (or ``optional_key()``
for a public route whose answer depends on a key sent with it); a route with neither is
public. The decision is the authorization policy's (``syndic.auth.policy``), and so is the
logging of refusals. ``GuardedRoute`` applies it first, in one place: before the body is read
or validated and before the route's code runs, so a refusal reveals nothing of any state."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from syndic.api.bounds import MAX_ID
from syndic.app import Syndic
from syndic.auth.models import Principal, Role
from syndic.auth.policy import Need, owner_role
from syndic.errors import AuthError, InvalidInput
from syndic.gate.forms import read_body


def get_syndic(request: Request) -> Syndic:
    syndic: Syndic = request.app.state.syndic
    return syndic


SyndicDep = Annotated[Syndic, Depends(get_syndic)]


ROLE_ORDER = (Role.STEWARD, Role.MEMBER, Role.LICENSEE)
LICENCE_TOKEN = "licenceToken"
CLIENT_CREDENTIALS = "clientCredentials"
_SCHEME_WORDS = {
    LICENCE_TOKEN: "access token",
    CLIENT_CREDENTIALS: "licensee (client credentials)",
}


@dataclass(frozen=True)
class Access:
    """Who may call a route: a key that meets ``need``; or, with ``optional``, anyone, and a
    key sent anyway must be valid; or, with ``scheme``, whoever holds the credential the
    route checks itself (a licence token, OAuth client credentials)."""

    need: Need | None = None
    optional: bool = False
    scheme: str | None = None

    def who(self) -> list[str]:
        """In the words of docs/api.md's "who" column (and the OpenAPI ``x-roles``)."""
        if self.scheme is not None:
            return [_SCHEME_WORDS[self.scheme]]
        if self.need is None:
            return ["anyone (key optional)" if self.optional else "anyone"]
        owner = owner_role(self.need)
        words = [r.value for r in ROLE_ORDER if r in self.need.roles]
        if owner is not None and owner not in self.need.roles:
            words.append(f"{owner.value} (own)")
        return words


PUBLIC = Access()


def principal(request: Request, syndic: Syndic) -> Principal:
    """The caller named by ``Authorization: Bearer <key>`` (401 without a valid one)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("send an API key as `Authorization: Bearer <key>`")
    return syndic.keys.authenticate(value.strip())


def _subject(request: Request, need: Need) -> int | None:
    """The id of the owned resource the path names (``{<kind>_id}``), bounded like every id."""
    if need.own is None:
        return None
    raw = request.path_params.get(f"{need.own}_id")
    if raw is None:
        return None
    text = str(raw)
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(f"path.{need.own}_id: an id is a whole number from 1 to 2^63-1")
    return int(text)


def authorize(request: Request, access: Access) -> Principal | None:
    """Decide, once per request, whether the caller may call the route; returns the caller
    (None for a public route called without a key). Raises ``AuthError`` (401) or
    ``Forbidden`` (403), the latter logged when it is about someone's resource."""
    if "syndic.caller" in request.scope:
        caller: Principal | None = request.scope["syndic.caller"]
        return caller
    syndic = get_syndic(request)
    caller = None
    if access.need is not None or (access.optional and "authorization" in request.headers):
        caller = principal(request, syndic)
    need = access.need
    if need is not None and caller is not None:
        # the path's id is read only when ownership decides (a role that may not act at all
        # is refused whatever the id)
        owns = caller.role is owner_role(need) and caller.role not in need.roles
        syndic.authorizer.check(caller, need, subject=_subject(request, need) if owns else None)
    request.scope["syndic.caller"] = caller
    return caller


def _dependency(access: Access) -> Callable[[Request], Principal | None]:
    def caller(request: Request) -> Principal | None:
        return authorize(request, access)

    caller.access = access  # type: ignore[attr-defined]  # read by GuardedRoute
    return caller


def allow(*roles: Role, own: str | None = None, message: str = "") -> Any:
    """The dependency through which a route says who may call it: a key of one of ``roles``,
    or (with ``own="agreement"``) the owner of the resource named by the ``agreement_id``
    path parameter. Yields the caller."""
    return Depends(_dependency(Access(Need.of(*roles, own=own, message=message))))


def optional_key() -> Any:
    """For a public route that answers more to some keys: yields the caller, or None."""
    return Depends(_dependency(Access(optional=True)))


def credential(scheme: str) -> Any:
    """Declares a route that checks a credential of its own (``LICENCE_TOKEN``,
    ``CLIENT_CREDENTIALS``) rather than an API key; for its documentation."""
    assert scheme in _SCHEME_WORDS

    def declared() -> None:
        return None

    declared.access = Access(scheme=scheme)  # type: ignore[attr-defined]
    return Depends(declared)


def access_of(dependant: Dependant) -> Access:
    """The one ``Access`` a route declares through its dependencies (public if none)."""
    found = [
        access
        for dep in dependant.dependencies
        for access in [getattr(dep.call, "access", None), access_of(dep)]
        if isinstance(access, Access) and access is not PUBLIC
    ]
    if len({id(a) for a in found}) > 1:
        raise TypeError("a route declares who may call it once")
    return found[0] if found else PUBLIC


MAX_BODY = 1024 * 1024
"""The largest request body any route reads (413 above it)."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class GuardedRoute(APIRoute):
    """A route that authorizes its caller before anything else: before its body is read,
    before its parameters are validated, before its code runs."""

    def get_route_handler(self) -> Handler:
        inner = super().get_route_handler()
        access = access_of(self.dependant)
        self.access = access

        async def guarded(request: Request) -> Response:
            if access is not PUBLIC:
                await run_in_threadpool(authorize, request, access)
            if request.method in BODY_METHODS:
                # read once, under the limit; the route then reads it from the request's cache
                request._body = await read_body(
                    request.stream(),
                    limit=MAX_BODY,
                    content_length=request.headers.get("content-length"),
                )
            return await inner(request)

        return guarded


Steward = Annotated[Principal, allow(Role.STEWARD)]
Licensee = Annotated[Principal, allow(Role.LICENSEE)]
