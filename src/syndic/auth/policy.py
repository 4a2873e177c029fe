"""Who may do what to which thing: the one authorization policy, and the one way a refusal is
logged.

A principal carries a role (steward, member, licensee) and, for members and licensees, the id
of the member or licensee it speaks for. A ``Need`` names the roles that may act at all and,
optionally, a kind of resource its owners may act on too (``"agreement"``: a licensee, on its
own agreements). ``decide`` is pure: it answers with ``None`` or a ``Refusal``. ``Authorizer``
applies it: a principal of the owning role reaching for another's resource is logged as
``access.denied`` (who, what, why) before ``Forbidden`` is raised; a key of the wrong role
reached for nothing of anyone's, and its refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from syndic.auth.events import AccessDenied
from syndic.auth.models import Principal, Role
from syndic.errors import Forbidden
from syndic.provenance.unit import Transactions


@dataclass(frozen=True)
class Resource:
    """A kind of thing someone owns: whose role owns it, and the words of a refusal."""

    owner: Role
    reason: str  # logged, the same for every refusal of this kind
    message: str  # shown; ``{id}`` is the resource's id


RESOURCES: dict[str, Resource] = {
    "member": Resource(
        Role.MEMBER, "not this member's records", "a member key may only read its own records"
    ),
    "work": Resource(
        Role.MEMBER,
        "not a holder of this work",
        "a member key may only read works that member holds",
    ),
    "deal": Resource(
        Role.LICENSEE, "not a party to this deal", "a licensee key may only read its own records"
    ),
    "agreement": Resource(
        Role.LICENSEE, "not a party to this agreement", "agreement {id} is not yours"
    ),
}
"""Every kind of owned resource, by name (the API names its path parameter ``<name>_id``)."""


@dataclass(frozen=True)
class Need:
    """What an action needs: one of ``roles``, or to own the ``own`` resource acted on."""

    roles: frozenset[Role]
    own: str | None = None
    message: str = ""  # the refusal shown to a key of another role (default: names the roles)

    def __post_init__(self) -> None:
        if self.own is not None and self.own not in RESOURCES:
            raise ValueError(f"unknown resource kind {self.own!r}")

    @classmethod
    def of(cls, *roles: Role, own: str | None = None, message: str = "") -> Need:
        return cls(frozenset(roles), own, message)

    def role_message(self) -> str:
        if self.message:
            return self.message
        names = {r.value for r in self.roles}
        if self.own is not None:
            names.add(RESOURCES[self.own].owner.value)
        return f"this needs the {' or '.join(sorted(names))} role"


@dataclass(frozen=True)
class Refusal:
    message: str
    resource: str = ""  # set when the refusal is about someone's resource: then it is logged
    reason: str = ""


def owner_role(need: Need) -> Role | None:
    return None if need.own is None else RESOURCES[need.own].owner


def decide(
    principal: Principal, need: Need, *, subject: int | None = None, owners: Collection[int] = ()
) -> Refusal | None:
    """May ``principal`` act under ``need`` on resource ``subject``, owned by ``owners``?

    Fails closed: a ``Need`` with no roles and no resource refuses everyone."""
    if principal.role in need.roles:
        return None
    if need.own is not None and principal.role is owner_role(need):
        if subject is not None and principal.subject_id in owners:
            return None
        res = RESOURCES[need.own]
        return Refusal(
            res.message.format(id=subject), resource=f"{need.own}:{subject}", reason=res.reason
        )
    return Refusal(need.role_message())


OwnerLookup = Callable[[int], Collection[int]]
"""The ids of the members or licensees who own resource ``id`` (NotFound if there is none)."""


@dataclass
class Authorizer:
    """Applies the policy: decides, logs refusals over someone's resource, raises ``Forbidden``."""

    txs: Transactions
    owners: Mapping[str, OwnerLookup] = field(default_factory=dict)

    def check(self, principal: Principal, need: Need, *, subject: int | None = None) -> None:
        """Raise ``Forbidden`` unless ``principal`` may act under ``need`` on ``subject``."""
        owners: Collection[int] = ()
        if need.own is not None and subject is not None and principal.role is owner_role(need):
            owners = self.owners[need.own](subject)
        refusal = decide(principal, need, subject=subject, owners=owners)
        if refusal is None:
            return
        if refusal.resource:
            self.deny(who=principal.actor, what=refusal.resource, why=refusal.reason)
        raise Forbidden(refusal.message)

    def deny(self, *, who: str, what: str, why: str) -> None:
        """Log a refused access: ``who`` reached for ``what`` and was refused because ``why``."""
        with self.txs.write() as tx:
            tx.record(AccessDenied(resource=what, reason=why), actor=who)

    def refuse(self, *, who: str, what: str, why: str, message: str) -> NoReturn:
        """Log the refusal, then raise ``Forbidden(message)``: for checks made elsewhere
        (a delivery token scoped to another agreement)."""
        self.deny(who=who, what=what, why=why)
        raise Forbidden(message)
