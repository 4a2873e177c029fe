"""The gate's policy file (YAML): settings and an ordered list of rules.

Each rule is ``{name, if, then}``; the first rule whose condition holds decides. No rule
holding refuses (403): the policy fails closed. Conditions compose with ``all``, ``any`` and
``not``; an empty ``all``/``any`` holds for no request. Passing every request must be
spelt ``if: {unsafe_allow_all: true}``; a `pass` rule whose condition holds for every
request by its form (``always``, ``not: {all: []}``, a test beside its opposite in an
``any``, a ``user_agent`` matching the empty string, ``path: /*``) is refused (see
``always_holds``). A file with an error is refused at start, and the message names the line.
See docs/gate.md for every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

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


@dataclass(frozen=True)
class PowSettings:
    difficulty: int = 4
    ttl_s: int = 300
    pass_ttl_s: int = 3600


@dataclass(frozen=True)
class Policy:
    site: str
    rules: tuple[PolicyRule, ...]
    # this site's host names (``host`` or ``host:port``): a signature for another is unsigned
    hosts: tuple[str, ...] = ()
    member: int | None = None  # None: `member: any` (any agreement's token is accepted)
    usage: Usage = Usage.AI_TRAIN
    price: Price | None = None
    pow: PowSettings = PowSettings()
    keys: tuple[dict[str, Any], ...] = ()
    allow_http_directories: bool = False
    allow_private_directories: bool = False
    max_signature_validity_s: int = 24 * 3600
    max_body: int = 1 << 20
    max_header_bytes: int = 16 << 10
    upstream_timeout_s: float = 30.0
    upstream_deadline_s: float = 300.0
    licence_cache_s: float = 5.0
    terms_headers: bool = True
    source: str = "<policy>"

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

    def fail(self, node: yaml.Node | None, message: str) -> PolicyError:
        where = f", line {node.start_mark.line + 1}" if node is not None else ""
        return PolicyError(f"{self.source}{where}: {message}")

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a single value")
        return str(node.value)

    def integer(self, node: yaml.Node, what: str, lo: int, hi: int) -> int:
        text = self.scalar(node, what)
        try:
            n = int(text)
        except ValueError:
            raise self.fail(node, f"{what} must be a whole number, not {text!r}") from None
        if not lo <= n <= hi:
            raise self.fail(node, f"{what} must be between {lo} and {hi}")
        return n

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

    def hosts(self, v: yaml.Node) -> tuple[str, ...]:
        out = []
        for n in self.seq(v, "hosts"):
            text = self.scalar(n, "a host").strip().lower()
            if not _HOST.fullmatch(text):
                raise self.fail(n, f"{text!r} is not a host name (host or host:port)")
            out.append(text)
        if not out:
            raise self.fail(v, "hosts needs at least one host name")
        return tuple(out)

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
        status = self.integer(items[0][2], "refuse", 402, 403)
        return Action(ActionKind.REFUSE, status)

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


_TOP = (
    "site",
    "hosts",
    "member",
    "usage",
    "price",
    "pow",
    "web_bot_auth",
    "limits",
    "terms_headers",
    "licence_cache_seconds",
    "rules",
)


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    ld = _Loader(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(f"{source}{line}: not valid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if root is None:
        raise PolicyError(f"{source}: the policy file is empty")
    top = {k: (kn, vn) for k, kn, vn in ld.mapping(root, "the policy")}
    for k, (kn, _) in top.items():
        if k not in _TOP:
            raise ld.fail(kn, f"unknown setting {k!r} (one of {', '.join(_TOP)})")
    if "site" not in top:
        raise ld.fail(root, "the policy needs `site:` (the member site's name, for the report)")
    site = ld.scalar(top["site"][1], "site")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", site):
        raise ld.fail(top["site"][1], "site: 1-100 letters, digits, . _ -")
    if "rules" not in top:
        raise ld.fail(root, "the policy needs `rules:` (with none, every request is refused)")
    rules = tuple(ld.rule(r, i + 1) for i, r in enumerate(ld.seq(top["rules"][1], "rules")))
    seen: set[str] = set()
    for r in rules:
        if r.name in seen:
            raise PolicyError(f"{source}, line {r.line}: rule name {r.name!r} is used twice")
        seen.add(r.name)
    kw: dict[str, Any] = {}
    if "member" in top:
        node = top["member"][1]
        if ld.scalar(node, "member") != "any":
            kw["member"] = ld.integer(node, "member", 1, 2**31 - 1)
    elif any(r.action.kind == "license" for r in rules):
        first = next(r for r in rules if r.action.kind == "license")
        raise PolicyError(
            f"{source}, line {first.line}: a `license` rule needs `member:` (the member whose "
            "works this site serves, or `any` to accept any agreement's token)"
        )
    if "usage" in top:
        u = ld.scalar(top["usage"][1], "usage")
        if u not in {x.value for x in Usage}:
            raise ld.fail(top["usage"][1], f"usage {u!r} is not an RSL usage token")
        kw["usage"] = Usage(u)
    if "price" in top:
        try:
            kw["price"] = parse_price(ld.scalar(top["price"][1], "price"))
        except ValueError as exc:
            raise ld.fail(top["price"][1], str(exc)) from exc
    if any(r.action.kind == "charge" for r in rules) and "price" not in kw:
        first = next(r for r in rules if r.action.kind == "charge")
        raise PolicyError(f"{source}, line {first.line}: a `charge` rule needs `price:` set")
    if "pow" in top:
        p = {k: vn for k, _, vn in ld.mapping(top["pow"][1], "pow")}
        unknown = set(p) - {"difficulty", "ttl", "pass_ttl"}
        if unknown:
            raise ld.fail(top["pow"][1], f"unknown pow setting {sorted(unknown)[0]!r}")
        kw["pow"] = PowSettings(
            difficulty=ld.integer(p["difficulty"], "pow.difficulty", 1, 8)
            if "difficulty" in p
            else 4,
            ttl_s=ld.integer(p["ttl"], "pow.ttl", 10, 86400) if "ttl" in p else 300,
            pass_ttl_s=ld.integer(p["pass_ttl"], "pow.pass_ttl", 60, 30 * 86400)
            if "pass_ttl" in p
            else 3600,
        )
    if "web_bot_auth" in top:
        for k, kn, vn in ld.mapping(top["web_bot_auth"][1], "web_bot_auth"):
            if k == "keys":
                keys = yaml.safe_load(yaml.serialize(vn))
                if not isinstance(keys, list) or not all(isinstance(x, dict) for x in keys):
                    raise ld.fail(vn, "web_bot_auth.keys must be a list of JWKs")
                kw["keys"] = tuple(keys)
            elif k in ("allow_http_directories", "allow_private_directories"):
                kw[k] = ld.boolean(vn, k)
            elif k == "max_validity":
                kw["max_signature_validity_s"] = ld.integer(vn, k, 10, 7 * 86400)
            else:
                raise ld.fail(kn, f"unknown web_bot_auth setting {k!r}")
    if "limits" in top:
        for k, kn, vn in ld.mapping(top["limits"][1], "limits"):
            if k == "max_body":
                kw["max_body"] = ld.integer(vn, k, 0, 1 << 30)
            elif k == "max_header_bytes":
                kw["max_header_bytes"] = ld.integer(vn, k, 1024, 1 << 20)
            elif k == "upstream_timeout":
                kw["upstream_timeout_s"] = float(ld.integer(vn, k, 1, 600))
            elif k == "upstream_deadline":
                kw["upstream_deadline_s"] = float(ld.integer(vn, k, 1, 24 * 3600))
            else:
                raise ld.fail(
                    kn,
                    f"unknown limit {k!r} "
                    "(max_body, max_header_bytes, upstream_timeout, upstream_deadline)",
                )
    if "terms_headers" in top:
        kw["terms_headers"] = ld.boolean(top["terms_headers"][1], "terms_headers")
    if "licence_cache_seconds" in top:
        kw["licence_cache_s"] = float(
            ld.integer(top["licence_cache_seconds"][1], "licence_cache_seconds", 0, 300)
        )
    if kw.get("keys"):
        for k in kw["keys"]:
            try:
                jwk_thumbprint(k)
            except SignatureError as exc:
                raise ld.fail(top["web_bot_auth"][1], exc.message) from exc
    if "hosts" not in top:
        raise ld.fail(
            root,
            "the policy needs `hosts:` (this site's host names; a Web Bot Auth signature "
            "made for any other host is not accepted)",
        )
    hosts = ld.hosts(top["hosts"][1])
    return Policy(site=site, rules=rules, hosts=hosts, source=source, **kw)


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"policy file {path} is not UTF-8") from exc
    return parse_policy(text, source=str(path))
