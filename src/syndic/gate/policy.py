"""The gate's policy file (YAML): settings and an ordered list of rules.

Each rule is ``{name, if, then}``; the first rule whose condition holds decides. No rule
holding refuses (403): the policy fails closed. Conditions compose with ``all``, ``any`` and
``not``; an empty ``all``/``any`` holds for no request. Passing every request must be
spelt ``if: {unsafe_allow_all: true}``; a `pass` rule whose condition holds for every
request by its form (``always``, ``not: {all: []}``, a test beside its opposite in an
``any``, a ``user_agent`` matching the empty string, ``path: /*``) is refused (see
``Condition.always``). The settings are declared once, as the pydantic models below; the
rules' conditions parse themselves (gate/conditions.py). A file with an error is refused at
start, and the message names the line. See docs/gate.md for every key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic_core import ErrorDetails

from syndic import safe_yaml
from syndic.errors import PolicyError, SignatureError
from syndic.gate.botauth import jwk_thumbprint
from syndic.gate.conditions import CONDITIONS, AllOf, Condition, UnsafeAllowAll
from syndic.gate.paypercrawl import Price, parse_price
from syndic.terms.models import Usage


class ActionKind(StrEnum):
    LICENSE = "license"
    CHARGE = "charge"
    PASS = "pass"
    CHALLENGE = "challenge"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    status: int = 403  # for refuse


@dataclass(frozen=True)
class PolicyRule:
    name: str
    cond: Condition
    action: Action
    line: int


# --- the settings' schema --------------------------------------------------------------------
def _between(lo: int, hi: int) -> AfterValidator:
    """For ``Annotated[int, _between(lo, hi)]``: an int from ``lo`` to ``hi`` inclusive."""

    def check(n: int) -> int:
        if not lo <= n <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return n

    return AfterValidator(check)


def _name(pattern: str, rule: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise ValueError(rule)
        return text

    return check


def _price(value: Any) -> Price:
    try:
        return parse_price(str(value))
    except ValueError as exc:
        raise ValueError(str(exc)) from exc


def _usage(value: Any) -> Usage:
    if value not in {u.value for u in Usage}:
        raise ValueError(f"{value!r} is not an RSL usage token")
    return Usage(value)


def _member(value: Any) -> Any:
    return None if value == "any" else value


def _host(text: str) -> str:
    host = text.strip().lower()
    if not _HOST.fullmatch(host):
        raise ValueError(f"{host!r} is not a host name (host or host:port)")
    return host


def _hosts(hosts: list[str]) -> tuple[str, ...]:
    if not hosts:
        raise ValueError("needs at least one host name")
    return tuple(hosts)


def _jwks(keys: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    for k in keys:
        try:
            jwk_thumbprint(k)
        except SignatureError as exc:
            raise ValueError(exc.message) from exc
    return tuple(keys)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class PowSettings(_Section):
    """``pow:``: how hard a challenge is and how long it and the pass it earns last."""

    difficulty: Annotated[int, _between(1, 8)] = 4
    ttl_s: Annotated[int, _between(10, 86400)] = Field(300, alias="ttl")
    pass_ttl_s: Annotated[int, _between(60, 30 * 86400)] = Field(3600, alias="pass_ttl")


class WebBotAuth(_Section):
    """``web_bot_auth:``: keys trusted without a directory, and which directories to fetch."""

    keys: Annotated[tuple[dict[str, Any], ...], AfterValidator(_jwks)] = ()
    allow_http_directories: bool = False
    allow_private_directories: bool = False
    max_validity: Annotated[int, _between(10, 7 * 86400)] = 24 * 3600


class Limits(_Section):
    """``limits:``: what the gate accepts from a client and waits for from the site."""

    max_body: Annotated[int, _between(0, 1 << 30)] = 1 << 20
    max_header_bytes: Annotated[int, _between(1024, 1 << 20)] = 16 << 10
    upstream_timeout: Annotated[int, _between(1, 600)] = 30
    upstream_deadline: Annotated[int, _between(1, 24 * 3600)] = 300


class Settings(_Section):
    """Every setting of a policy file but its rules (which ``_Loader.rule`` reads)."""

    site: Annotated[
        str, AfterValidator(_name(r"[A-Za-z0-9_.-]{1,100}", "1-100 letters, digits, . _ -"))
    ]
    rules: list[Any]
    member: Annotated[Annotated[int, _between(1, 2**31 - 1)] | None, BeforeValidator(_member)] = (
        None
    )
    usage: Annotated[Usage, BeforeValidator(_usage)] = Usage.AI_TRAIN
    price: Annotated[Price | None, BeforeValidator(_price)] = None
    pow: PowSettings = PowSettings()
    web_bot_auth: WebBotAuth = WebBotAuth()
    limits: Limits = Limits()
    terms_headers: bool = True
    licence_cache_seconds: Annotated[int, _between(0, 300)] = 5
    hosts: Annotated[tuple[Annotated[str, AfterValidator(_host)], ...], AfterValidator(_hosts)]


_NEEDS = {
    "site": "the policy needs `site:` (the member site's name, for the report)",
    "rules": "the policy needs `rules:` (with none, every request is refused)",
    "hosts": "the policy needs `hosts:` (this site's host names; a Web Bot Auth signature "
    "made for any other host is not accepted)",
}
_SECTIONS: dict[str, type[BaseModel]] = {
    "pow": PowSettings,
    "web_bot_auth": WebBotAuth,
    "limits": Limits,
}


def _keys(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or name for name, f in model.model_fields.items())


def _unknown(loc: list[str]) -> str:
    if len(loc) > 1:
        return f"unknown {loc[0]} setting {loc[-1]!r} (one of {_keys(_SECTIONS[loc[0]])})"
    return f"unknown setting {loc[0]!r} (one of {_keys(Settings)})"


# a pydantic error type (by its prefix) in the policy file's words, given the key's name
_WORDS: dict[str, Callable[[str, ErrorDetails], str]] = {
    "int_": lambda name, err: f"{name} must be a whole number, not {err['input']!r}",
    "bool_": lambda name, err: f"{name} must be true or false",
    "dict_type": lambda name, err: f"{name} must be a mapping (key: value)",
    "model_": lambda name, err: f"{name} must be a mapping (key: value)",
    "list_type": lambda name, err: f"{name} must be a list",
    "tuple_type": lambda name, err: f"{name} must be a list",
}


def _message(err: ErrorDetails) -> str:
    """A schema error in the words of the policy file."""
    loc = [str(x) for x in err["loc"] if not isinstance(x, int)]
    name = ".".join(loc)
    if err["type"] == "missing":
        return _NEEDS.get(name, f"{name} is required")
    if err["type"] == "extra_forbidden":
        return _unknown(loc)
    words = next((w for prefix, w in _WORDS.items() if err["type"].startswith(prefix)), None)
    if words is not None:
        return words(name, err)
    why = str(err.get("ctx", {}).get("error", err["msg"]))
    return f"{name} {why}" if why.startswith(("must", "needs")) else f"{name}: {why}"


@dataclass(frozen=True)
class Policy:
    site: str
    rules: tuple[PolicyRule, ...]
    settings: Settings
    source: str = "<policy>"

    @classmethod
    def of(cls, settings: Settings, rules: tuple[PolicyRule, ...], source: str) -> Policy:
        return cls(settings.site, rules, settings, source)

    # the settings, under the names the gate reads
    @property
    def hosts(self) -> tuple[str, ...]:
        """This site's host names (``host`` or ``host:port``): a signature for another is
        unsigned."""
        return self.settings.hosts

    @property
    def member(self) -> int | None:
        """None: `member: any` (any agreement's token is accepted)."""
        return self.settings.member

    @property
    def usage(self) -> Usage:
        return self.settings.usage

    @property
    def price(self) -> Price | None:
        return self.settings.price

    @property
    def pow(self) -> PowSettings:
        return self.settings.pow

    @property
    def keys(self) -> tuple[dict[str, Any], ...]:
        return self.settings.web_bot_auth.keys

    @property
    def allow_http_directories(self) -> bool:
        return self.settings.web_bot_auth.allow_http_directories

    @property
    def allow_private_directories(self) -> bool:
        return self.settings.web_bot_auth.allow_private_directories

    @property
    def max_signature_validity_s(self) -> int:
        return self.settings.web_bot_auth.max_validity

    @property
    def max_body(self) -> int:
        return self.settings.limits.max_body

    @property
    def max_header_bytes(self) -> int:
        return self.settings.limits.max_header_bytes

    @property
    def upstream_timeout_s(self) -> float:
        return float(self.settings.limits.upstream_timeout)

    @property
    def upstream_deadline_s(self) -> float:
        return float(self.settings.limits.upstream_deadline)

    @property
    def licence_cache_s(self) -> float:
        return float(self.settings.licence_cache_seconds)

    @property
    def terms_headers(self) -> bool:
        return self.settings.terms_headers

    @cached_property
    def needs_signature(self) -> bool:
        """Whether a rule's condition reads the request's verified signature."""
        return any(r.cond.uses_signature() for r in self.rules)

    def is_our_authority(self, authority: str) -> bool:
        """Whether a request's ``@authority`` (its Host) names this site: equal to a
        ``hosts`` entry, or its host part equal to an entry without a port."""
        a = authority.strip().lower()
        if a in self.hosts:
            return True
        m = _AUTHORITY.fullmatch(a)
        return m is not None and m.group(1) in self.hosts


_AUTHORITY = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::[0-9]*)?")


# --- loading ---------------------------------------------------------------------------------
class _Loader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.where: dict[tuple[str | int, ...], yaml.Node] = {}

    def fail(self, node: yaml.Node | None, message: str) -> PolicyError:
        where = f", line {node.start_mark.line + 1}" if node is not None else ""
        return PolicyError(f"{self.source}{where}: {message}")

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a single value")
        return str(node.value)

    def boolean(self, node: yaml.Node, what: str) -> bool:
        text = self.scalar(node, what).lower()
        if text in ("true", "yes", "on"):
            return True
        if text in ("false", "no", "off"):
            return False
        raise self.fail(node, f"{what} must be true or false")

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value)")
        out, seen = [], set()
        for k, v in node.value:
            key = self.scalar(k, "a key")
            if key in seen:
                raise self.fail(k, f"duplicate key {key!r} in {what}")
            seen.add(key)
            out.append((key, k, v))
        return out

    def tree(self, node: yaml.Node, at: tuple[str | int, ...] = ()) -> Any:
        """The plain value of ``node`` (refusing duplicate keys), remembering where each part
        is (``self.where``) so a schema error can name its line."""
        self.where[at] = node
        if isinstance(node, yaml.MappingNode):
            return {k: self.tree(v, (*at, k)) for k, _, v in self.mapping(node, "a mapping")}
        if isinstance(node, yaml.SequenceNode):
            return [self.tree(v, (*at, i)) for i, v in enumerate(node.value)]
        try:
            return safe_yaml.construct(node)
        except safe_yaml.YamlError as exc:
            raise self.fail(node, f"not valid YAML: {exc.problem}") from None

    def schema_error(self, err: ErrorDetails) -> PolicyError:
        loc = err["loc"]
        node = self.where.get(tuple(loc)) or self.where.get(tuple(loc[:-1])) or self.where[()]
        return self.fail(node, _message(err))

    def seq(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def condition(self, node: yaml.Node) -> Condition:
        """A condition: one test per key; several keys in one mapping must all hold."""
        items = self.mapping(node, "a condition")
        if not items:
            raise self.fail(node, "a condition needs at least one test")
        parts = [self._test(key, kn, vn) for key, kn, vn in items]
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _test(self, key: str, kn: yaml.Node, vn: yaml.Node) -> Condition:
        kind = CONDITIONS.get(key)
        if kind is None:
            raise self.fail(kn, f"unknown condition {key!r} (one of {', '.join(CONDITIONS)})")
        return kind.parse(self, vn)

    # actions
    def action(self, node: yaml.Node) -> Action:
        if isinstance(node, yaml.ScalarNode):
            kind = node.value
            if kind not in set(ActionKind):
                names = ", ".join(ActionKind)
                raise self.fail(node, f"unknown action {kind!r} (one of {names})")
            return Action(ActionKind(kind))
        items = self.mapping(node, "an action")
        if len(items) != 1 or items[0][0] != "refuse":
            raise self.fail(node, "an action is a name, or {refuse: 402} / {refuse: 403}")
        text = self.scalar(items[0][2], "refuse")
        if text not in ("402", "403"):
            raise self.fail(items[0][2], "refuse must be between 402 and 403")
        return Action(ActionKind.REFUSE, int(text))

    def rule(self, node: yaml.Node, n: int) -> PolicyRule:
        fields = {k: (kn, vn) for k, kn, vn in self.mapping(node, f"rule {n}")}
        for k in fields:
            if k not in ("name", "if", "then"):
                raise self.fail(fields[k][0], f"unknown key {k!r} in a rule (name, if, then)")
        if "if" not in fields or "then" not in fields:
            raise self.fail(node, f"rule {n} needs both `if` and `then`")
        name = self.scalar(fields["name"][1], "name") if "name" in fields else f"rule-{n}"
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
            raise self.fail(node, f"rule name {name!r}: 1-64 letters, digits, . _ -")
        cond = self.condition(fields["if"][1])
        action = self.action(fields["then"][1])
        passes_all = not isinstance(cond, UnsafeAllowAll) and cond.always()
        if action.kind == ActionKind.PASS and passes_all:
            raise self.fail(
                fields["if"][1],
                "this condition holds for every request, and passing every request is unsafe; "
                "spell it `if: {unsafe_allow_all: true}`",
            )
        return PolicyRule(name, cond, action, node.start_mark.line + 1)


_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*|\[[0-9a-f:.]+\])"
    r"(?::[0-9]{1,5})?"
)


def _compose(text: str, source: str) -> yaml.Node:
    """The policy's node tree, read with aliases refused and nesting bounded
    (``syndic.safe_yaml``): a YAML alias bomb is refused, not expanded."""
    try:
        root = safe_yaml.compose(text)
    except safe_yaml.YamlError as exc:
        line = f", line {exc.line}" if exc.line is not None else ""
        raise PolicyError(f"{source}{line}: not valid YAML: {exc.problem}") from exc
    if root is None:
        raise PolicyError(f"{source}: the policy file is empty")
    return root


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    """Read a policy file: its settings against the schema, then its rules in order. The
    first error is refused, naming its line; a missing `hosts:` is reported last."""
    ld = _Loader(source)
    root = _compose(text, source)
    data = ld.tree(root)
    if not isinstance(data, dict):
        raise ld.fail(root, "the policy must be a mapping (key: value), not a list or a value")
    try:
        settings = Settings.model_validate(data)
        missing: list[ErrorDetails] = []
    except ValidationError as exc:
        # unknown keys first: a misspelt key is also why a setting seems missing
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        missing = [e for e in errors if e["loc"] == ("hosts",) and e["type"] == "missing"]
        if len(missing) < len(errors):
            raise ld.schema_error(next(e for e in errors if e not in missing)) from None
        settings = Settings.model_validate({**data, "hosts": ["localhost"]})  # checked below
    rules = tuple(ld.rule(r, i + 1) for i, r in enumerate(ld.seq(ld.where[("rules",)], "rules")))
    _check_rules(rules, settings, "member" in data, source)
    if missing:
        raise ld.schema_error(missing[0])
    return Policy.of(settings, rules, source)


def _check_rules(
    rules: tuple[PolicyRule, ...], settings: Settings, has_member: bool, source: str
) -> None:
    """What rules need of each other and of the settings."""
    seen: set[str] = set()
    for r in rules:
        if r.name in seen:
            raise PolicyError(f"{source}, line {r.line}: rule name {r.name!r} is used twice")
        seen.add(r.name)
    needs = {
        ActionKind.LICENSE: (
            has_member,
            "a `license` rule needs `member:` (the member whose works this site serves, "
            "or `any` to accept any agreement's token)",
        ),
        ActionKind.CHARGE: (settings.price is not None, "a `charge` rule needs `price:` set"),
    }
    for kind, (ok, message) in needs.items():
        first = next((r for r in rules if r.action.kind == kind), None)
        if first is not None and not ok:
            raise PolicyError(f"{source}, line {first.line}: {message}")


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"policy file {path} is not UTF-8") from exc
    return parse_policy(text, source=str(path))
