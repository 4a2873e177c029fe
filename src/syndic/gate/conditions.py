"""The conditions of a policy rule: one class per kind, each parsing itself from the YAML
node and answering ``holds(facts)`` with no I/O.

``CONDITIONS`` maps each key (``licence``, ``path``, ``all``...) to its class; the policy
loader looks keys up there and nowhere else. Composition fails closed: an ``AllOf`` or
``AnyOf`` with no children holds for no request.

Each class also says whether it holds for every request by its form alone (``always``) or
for none (``never``): a lint, not a proof, that keeps a `pass` rule from admitting every
request unless it is spelt ``unsafe_allow_all``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol
from urllib.parse import urlsplit

import yaml

from syndic.gate import paypercrawl as ppc
from syndic.gate.botauth import Verified
from syndic.gate.licensing import bearer_of
from syndic.terms.robots import Rule as RobotsRule
from syndic.terms.robots import normalise_pattern

if TYPE_CHECKING:
    from syndic.gate.decide import Facts


class Loader(Protocol):
    """What a condition needs from the policy loader to read its YAML node."""

    def fail(self, node: yaml.Node | None, message: str) -> Exception: ...
    def scalar(self, node: yaml.Node, what: str) -> str: ...
    def boolean(self, node: yaml.Node, what: str) -> bool: ...
    def seq(self, node: yaml.Node, what: str) -> list[yaml.Node]: ...
    def condition(self, node: yaml.Node) -> Condition: ...


CONDITIONS: dict[str, type[Condition]] = {}
"""Every condition kind, by its key in the policy file."""


class Condition:
    """A test over one request's facts."""

    key: ClassVar[str] = ""
    needs_signature: ClassVar[bool] = False  # whether ``holds`` reads the verified signature

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.key:
            CONDITIONS[cls.key] = cls

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        raise NotImplementedError

    def holds(self, facts: Facts) -> bool:
        raise NotImplementedError

    def always(self) -> bool:
        """Whether it holds for every request by its form alone."""
        return False

    def never(self) -> bool:
        """Whether it holds for no request by its form alone."""
        return False

    def opposite(self) -> Condition | None:
        """The test that holds exactly when this one does not, for two-valued tests."""
        return None

    def uses_signature(self) -> bool:
        return self.needs_signature


# --- composition -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AllOf(Condition):
    key: ClassVar[str] = "all"
    children: tuple[Condition, ...]

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        return cls(tuple(ld.condition(x) for x in ld.seq(node, cls.key)))

    def holds(self, facts: Facts) -> bool:
        return bool(self.children) and all(c.holds(facts) for c in self.children)

    def always(self) -> bool:
        return bool(self.children) and all(c.always() for c in self.children)

    def never(self) -> bool:
        return not self.children or any(c.never() for c in self.children)

    def uses_signature(self) -> bool:
        return any(c.uses_signature() for c in self.children)


@dataclass(frozen=True)
class AnyOf(Condition):
    key: ClassVar[str] = "any"
    children: tuple[Condition, ...]

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        return cls(tuple(ld.condition(x) for x in ld.seq(node, cls.key)))

    def holds(self, facts: Facts) -> bool:
        return any(c.holds(facts) for c in self.children)

    def always(self) -> bool:
        if any(c.always() for c in self.children):
            return True
        return any(c.opposite() in self.children for c in self.children)

    def never(self) -> bool:
        return all(c.never() for c in self.children)

    def uses_signature(self) -> bool:
        return any(c.uses_signature() for c in self.children)


@dataclass(frozen=True)
class Not(Condition):
    key: ClassVar[str] = "not"
    child: Condition

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        return cls(ld.condition(node))

    def holds(self, facts: Facts) -> bool:
        return not self.child.holds(facts)

    def always(self) -> bool:
        return self.child.never()

    def never(self) -> bool:
        return self.child.always()

    def uses_signature(self) -> bool:
        return self.child.uses_signature()


# --- every request ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Always(Condition):
    key: ClassVar[str] = "always"

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        if not ld.boolean(node, cls.key):
            raise ld.fail(node, f"{cls.key} can only be true")
        return cls()

    def holds(self, facts: Facts) -> bool:
        return True

    def always(self) -> bool:
        return True


@dataclass(frozen=True)
class UnsafeAllowAll(Always):
    """Every request, spelt so that a reader sees that passing it is unsafe."""

    key: ClassVar[str] = "unsafe_allow_all"


# --- two-valued tests ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Choice(Condition):
    """A test with two values, each the other's opposite."""

    options: ClassVar[tuple[str, str]] = ("", "")
    value: str

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        value = ld.scalar(node, cls.key)
        if value not in cls.options:
            raise ld.fail(node, f"{cls.key} must be one of {', '.join(cls.options)}, not {value!r}")
        return cls(value)

    @property
    def wants_first(self) -> bool:
        return self.value == self.options[0]

    def opposite(self) -> Condition:
        a, b = self.options
        return type(self)(b if self.value == a else a)


@dataclass(frozen=True)
class Licence(_Choice):
    key: ClassVar[str] = "licence"
    options: ClassVar[tuple[str, str]] = ("present", "absent")

    def holds(self, facts: Facts) -> bool:
        present = bearer_of(facts.request.headers.get("authorization")) is not None
        return present == self.wants_first


@dataclass(frozen=True)
class Payment(_Choice):
    key: ClassVar[str] = "payment"
    options: ClassVar[tuple[str, str]] = ("offered", "absent")

    def holds(self, facts: Facts) -> bool:
        h = facts.request.headers
        return (ppc.EXACT in h or ppc.MAX in h) == self.wants_first


@dataclass(frozen=True)
class Crawler(_Choice):
    key: ClassVar[str] = "crawler"
    options: ClassVar[tuple[str, str]] = ("known-ai", "unknown")

    def holds(self, facts: Facts) -> bool:
        return (facts.crawler is not None) == self.wants_first


@dataclass(frozen=True)
class Signed(Condition):
    key: ClassVar[str] = "signed"
    needs_signature: ClassVar[bool] = True
    value: bool

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        return cls(ld.boolean(node, cls.key))

    def holds(self, facts: Facts) -> bool:
        return isinstance(facts.signature, Verified) == self.value

    def opposite(self) -> Condition:
        return Signed(not self.value)


# --- tests on what the request says ----------------------------------------------------------
@dataclass(frozen=True)
class UserAgent(Condition):
    key: ClassVar[str] = "user_agent"
    pattern: re.Pattern[str]

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        text = ld.scalar(node, cls.key)
        try:
            return cls(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise ld.fail(node, f"user_agent is not a valid regular expression: {exc}") from exc

    def holds(self, facts: Facts) -> bool:
        return self.pattern.search(facts.user_agent) is not None

    def always(self) -> bool:
        return self.pattern.search("") is not None


@dataclass(frozen=True)
class Path(Condition):
    key: ClassVar[str] = "path"
    rule: RobotsRule

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        text = ld.scalar(node, cls.key)
        if not text.startswith("/"):
            raise ld.fail(node, "a path pattern starts with / (robots.txt syntax: * and $)")
        return cls(RobotsRule.of(False, normalise_pattern(text)))

    def holds(self, facts: Facts) -> bool:
        return self.rule.priority(facts.request.normal_target) >= 0

    def always(self) -> bool:
        return str(self.rule.pattern).rstrip("*") == "/"


def _scalars(ld: Loader, node: yaml.Node, what: str) -> list[yaml.Node]:
    nodes = ld.seq(node, what) if isinstance(node, yaml.SequenceNode) else [node]
    if not nodes:
        raise ld.fail(node, f"{what} needs at least one value")
    return nodes


@dataclass(frozen=True)
class Method(Condition):
    key: ClassVar[str] = "method"
    methods: frozenset[str]

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        nodes = ld.seq(node, cls.key) if isinstance(node, yaml.SequenceNode) else [node]
        methods = frozenset(ld.scalar(n, cls.key).upper() for n in nodes)
        if not methods or not all(m.isalpha() for m in methods):
            raise ld.fail(node, "method must be an HTTP method or a list of them")
        return cls(methods)

    def holds(self, facts: Facts) -> bool:
        return facts.request.method in self.methods


# --- tests on the verified signature ---------------------------------------------------------
@dataclass(frozen=True)
class Agent(Condition):
    """The signature's ``Signature-Agent`` is one of these origins."""

    key: ClassVar[str] = "agent"
    needs_signature: ClassVar[bool] = True
    origins: frozenset[str]

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        out = set()
        for n in _scalars(ld, node, cls.key):
            origin = origin_of(ld.scalar(n, cls.key))
            if origin is None:
                raise ld.fail(n, "agent is a Signature-Agent origin, e.g. https://bot.example")
            out.add(origin)
        return cls(frozenset(out))

    def holds(self, facts: Facts) -> bool:
        sig = facts.signature
        return isinstance(sig, Verified) and origin_of(sig.agent or "") in self.origins


_KEYID = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class KeyId(Condition):
    """The signature was made with one of these keys (JWK thumbprints)."""

    key: ClassVar[str] = "keyid"
    needs_signature: ClassVar[bool] = True
    keyids: frozenset[str]

    @classmethod
    def parse(cls, ld: Loader, node: yaml.Node) -> Condition:
        out = set()
        for n in _scalars(ld, node, cls.key):
            text = ld.scalar(n, cls.key)
            if not _KEYID.fullmatch(text):
                raise ld.fail(n, "keyid is a JWK SHA-256 thumbprint (43 base64url characters)")
            out.add(text)
        return cls(frozenset(out))

    def holds(self, facts: Facts) -> bool:
        sig = facts.signature
        return isinstance(sig, Verified) and sig.keyid in self.keyids


def origin_of(uri: str) -> str | None:
    """``scheme://host[:port]`` of a URI, lower-cased; None when it has no host."""
    try:
        u = urlsplit(uri.strip())
        port = u.port
    except ValueError:
        return None
    if u.scheme not in ("http", "https") or not u.hostname:
        return None
    host = f"[{u.hostname}]" if ":" in u.hostname else u.hostname
    return f"{u.scheme}://{host}" + ("" if port is None else f":{port}")
