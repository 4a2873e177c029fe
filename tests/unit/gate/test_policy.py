"""The policy file: what it accepts, and every error refused with its line."""

from __future__ import annotations

import pytest

from syndic.errors import ChallengeError, PolicyError
from syndic.gate.conditions import Agent, KeyId
from syndic.gate.paypercrawl import EXACT, MAX, Offer, Price, accept, parse_price, read_offer
from syndic.gate.policy import parse_policy
from syndic.gate.pow import PowIssuer, client_id, solve

GOOD = """\
site: alice
price: EUR 0.01
rules:
  - name: licensed
    if: {licence: present}
    then: license
  - name: paid
    if: {all: [{signed: true}, {payment: offered}]}
    then: charge
  - name: bots
    if: {any: [{crawler: known-ai}, {user_agent: "scrapy"}]}
    then: {refuse: 402}
  - name: docs
    if: {path: "/docs/*", method: [GET, HEAD]}
    then: pass
  - name: rest
    if: {not: {crawler: known-ai}}
    then: challenge
hosts: [alice.example]
member: any
"""


def test_a_good_policy_loads_in_order() -> None:
    p = parse_policy(GOOD)
    assert [(r.name, r.action.kind, r.line) for r in p.rules] == [
        ("licensed", "license", 4),
        ("paid", "charge", 7),
        ("bots", "refuse", 10),
        ("docs", "pass", 13),
        ("rest", "challenge", 16),
    ]
    assert p.rules[2].action.status == 402
    assert p.price == Price("EUR", 1)


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("site: a\nrules:\n  - if: {always: true}\n    then: pass\n", 3, "unsafe"),
        ("site: a\nrules:\n  - if: {licence: maybe}\n    then: license\n", 3, "present, absent"),
        ("site: a\nrules:\n  - if: {colour: red}\n    then: pass\n", 3, "unknown condition"),
        ("site: a\nrules:\n  - if: {always: true}\n    then: teleport\n", 4, "unknown action"),
        (
            "site: a\nrules:\n  - if: {always: true}\n    then: {refuse: 404}\n",
            4,
            "between 402 and 403",
        ),
        ("site: a\nrules:\n  - if: {always: true}\n    then: charge\n", 3, "needs `price:`"),
        ("site: a\nprice: EUR 0.001\nrules: []\n", 2, "decimal places"),
        ("site: a\nprice: lots\nrules: []\n", 2, "written like"),
        ("site: a\nrules:\n  - then: pass\n", 3, "both `if` and `then`"),
        ("site: a\nrules:\n  - if: {user_agent: '('}\n    then: pass\n", 3, "regular expression"),
        ("site: a\nrules:\n  - if: {path: 'docs'}\n    then: pass\n", 3, "starts with /"),
        (
            "site: a\nrules:\n  - name: x\n    if: {always: true}\n    then: challenge\n"
            "  - name: x\n    if: {always: true}\n    then: challenge\n",
            6,
            "used twice",
        ),
        ("site: a\nrulez: []\n", 2, "unknown setting"),
        ("rules: []\n", 1, "needs `site:`"),
        ("site: a\n", 1, "needs `rules:`"),
        ("site: a\nrules: [\n", 3, "not valid YAML"),
        ("site: a\npow: {difficulty: 20}\nrules: []\n", 2, "between 1 and 8"),
        ("site: a\nweb_bot_auth: {keys: [{kty: RSA}]}\nrules: []\n", 2, "JWK"),
        ("site: a\nlimits: {max_body: -1}\nrules: []\n", 2, "between"),
        ("site: a\nsite: b\nrules: []\n", 2, "duplicate key"),
    ],
)
def test_errors_are_refused_naming_the_line(text: str, line: int, match: str) -> None:
    with pytest.raises(PolicyError, match=match) as err:
        parse_policy(text, source="policy.yaml")
    assert f"policy.yaml, line {line}:" in err.value.message


def test_an_empty_all_holds_for_no_request() -> None:
    from syndic.gate.decide import Facts, Request

    p = parse_policy("site: a\nhosts: [a.example]\nrules:\n  - if: {all: []}\n    then: pass\n")
    req = Request("GET", "http", "a", "/", "", {}, "127.0.0.1")
    assert p.rules[0].cond.holds(Facts(req, now=0)) is False


def test_prices_and_offers() -> None:
    assert str(parse_price("EUR 0.05")) == "EUR 0.05"
    assert str(parse_price("JPY 3")) == "JPY 3"
    price = Price("EUR", 5)
    assert read_offer({}) is None
    assert read_offer({EXACT: "EUR 0.05"}) == Offer(EXACT, price)
    assert accept(Offer(MAX, Price("EUR", 9)), price) is None
    assert accept(Offer(MAX, Price("USD", 9)), price) is not None
    assert accept(Offer(EXACT, Price("EUR", 6)), price) is not None


def test_proof_of_work_unit() -> None:
    pow_ = PowIssuer(b"k" * 32, random_bytes=lambda n: b"\x01" * n)
    who = client_id("127.0.0.1", "ua")
    ch = pow_.issue(client=who, difficulty=3, now=1000, ttl_s=60)
    assert ch.id == "01" * 16
    nonce = solve(ch.text, 3)
    assert pow_.check(ch.text, nonce, client=who, now=1001).id == ch.id
    with pytest.raises(ChallengeError, match="expired"):
        pow_.check(ch.text, nonce, client=who, now=1060)
    with pytest.raises(ChallengeError, match="not issued"):
        PowIssuer(b"j" * 32).check(ch.text, nonce, client=who, now=1001)
    cookie = pow_.pass_cookie(client=who, now=1000, ttl_s=10)
    assert pow_.pass_valid(cookie, client=who, now=1005)
    assert not pow_.pass_valid(cookie, client=who, now=1010)
    assert not pow_.pass_valid(cookie, client=client_id("127.0.0.2", "ua"), now=1005)
    assert not pow_.pass_valid(cookie[:-1] + "0", client=who, now=1005)
    with pytest.raises(ValueError, match="32 bytes"):
        PowIssuer(b"short")


def _policy(body: str, *, hosts: str = "hosts: [a.example]\n") -> str:
    return "site: a\n" + hosts + body


@pytest.mark.parametrize(
    "cond",
    [
        "{not: {all: []}}",
        "{not: {any: []}}",
        "{not: {not: {always: true}}}",
        "{any: [{licence: present}, {licence: absent}]}",
        "{any: [{signed: true}, {signed: false}, {path: /x}]}",
        "{all: [{always: true}, {not: {any: []}}]}",
        "{user_agent: '.*'}",
        "{user_agent: ''}",
        "{path: '/*'}",
        "{path: /}",
    ],
)
def test_a_pass_rule_that_holds_for_every_request_is_refused(cond: str) -> None:
    text = _policy(f"rules:\n  - if: {cond}\n    then: pass\n")
    with pytest.raises(PolicyError, match="holds for every request") as err:
        parse_policy(text, source="p.yaml")
    assert "line 4" in err.value.message


@pytest.mark.parametrize(
    "cond",
    [
        "{unsafe_allow_all: true}",
        "{not: {crawler: known-ai}}",
        "{any: [{licence: present}, {payment: absent}]}",
        "{path: /docs/*}",
        "{user_agent: Mozilla}",
    ],
)
def test_pass_rules_that_do_not_hold_for_every_request_by_form_load(cond: str) -> None:
    assert parse_policy(_policy(f"rules:\n  - if: {cond}\n    then: pass\n")).rules


def test_hosts_are_required_and_name_this_site() -> None:
    with pytest.raises(PolicyError, match="needs `hosts:`"):
        parse_policy("site: a\nrules: []\n")
    with pytest.raises(PolicyError, match="not a host name"):
        parse_policy(_policy("rules: []\n", hosts="hosts: ['https://a.example/']\n"))
    with pytest.raises(PolicyError, match="at least one"):
        parse_policy(_policy("rules: []\n", hosts="hosts: []\n"))
    p = parse_policy(
        _policy("rules: []\n", hosts="hosts: [A.example, 'b.example:8443', '[::1]']\n")
    )
    ours = p.is_our_authority
    assert ours("a.example") and ours("A.EXAMPLE:8080") and ours("b.example:8443")
    assert ours("[::1]:9000") and ours("[::1]")
    assert not ours("b.example") and not ours("b.example:443")
    assert not ours("evil.example") and not ours("a.example.evil.example") and not ours("")


def test_a_license_rule_needs_member_or_an_explicit_any() -> None:
    rules = "rules:\n  - if: {licence: present}\n    then: license\n"
    with pytest.raises(PolicyError, match="needs `member:`") as err:
        parse_policy(_policy(rules), source="p.yaml")
    assert "line 4" in err.value.message
    assert parse_policy(_policy("member: any\n" + rules)).member is None
    assert parse_policy(_policy("member: 7\n" + rules)).member == 7
    with pytest.raises(PolicyError, match="whole number"):
        parse_policy(_policy("member: everyone\n" + rules))


def test_agent_and_keyid_conditions() -> None:
    kid = "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"
    p = parse_policy(
        _policy(
            "rules:\n"
            "  - if: {agent: ['https://Bot.example/.well-known/x', 'http://127.0.0.1:9']}\n"
            "    then: challenge\n"
            f"  - if: {{keyid: {kid}}}\n"
            "    then: challenge\n"
        )
    )
    assert p.rules[0].cond == Agent(frozenset({"https://bot.example", "http://127.0.0.1:9"}))
    assert p.rules[1].cond == KeyId(frozenset({kid}))
    for bad, match in [("{agent: bot.example}", "origin"), ("{keyid: short}", "thumbprint")]:
        with pytest.raises(PolicyError, match=match):
            parse_policy(_policy(f"rules:\n  - if: {bad}\n    then: challenge\n"))


def test_web_bot_auth_and_limit_settings() -> None:
    p = parse_policy(
        _policy(
            "web_bot_auth: {allow_private_directories: true, max_validity: 300}\n"
            "limits: {upstream_timeout: 5, upstream_deadline: 60}\nrules: []\n"
        )
    )
    assert p.allow_private_directories and p.max_signature_validity_s == 300
    assert (p.upstream_timeout_s, p.upstream_deadline_s) == (5.0, 60.0)
    defaults = parse_policy(_policy("rules: []\n"))
    assert not defaults.allow_private_directories and not defaults.allow_http_directories


@pytest.mark.parametrize(
    ("target", "normal"),
    [
        ("/%70rivate/doc", "/private/doc"),
        ("/PRIVATE", "/PRIVATE"),
        ("/public/../private", "/private"),
        ("/about//../private/", "/private/"),
        ("//private//doc", "/private/doc"),
        ("/a/./b/../c", "/a/c"),
        ("/a/b/..", "/a/"),
        ("/../../x", "/x"),
        ("/%7euser?q=%2f%41", "/~user?q=%2FA"),
        ("/caf\xc3\xa9", "/caf%C3%A9"),
    ],
)
def test_paths_are_normalised_before_matching(target: str, normal: str) -> None:
    from syndic.gate.target import normal_target

    assert normal_target(target) == normal


@pytest.mark.parametrize(
    "target",
    [
        "/a%2fb",
        "/%2e%2e/private",
        "/public/.%2E/private",
        "/public/%252e%252e/private",
        "/public/..%255cprivate",
        "/public/..\\private",
        "/public/..;/private",
        "/public/%c0%ae%c0%ae/private",
        "/public/.;x/private",
        "/public/%00/../private",
        "/public/\x00",
        "private",
    ],
)
def test_ambiguous_spellings_are_refused(target: str) -> None:
    from syndic.gate.target import AmbiguousTarget, normal_target

    with pytest.raises(AmbiguousTarget):
        normal_target(target)


def test_a_path_rule_matches_every_spelling_of_its_path() -> None:
    from syndic.gate.decide import Facts, Request

    p = parse_policy(_policy("rules:\n  - if: {path: '/%70rivate'}\n    then: challenge\n"))
    for path in ("/private/x", "/%70rivate/x", "/%70RIVATE/x", "/pub/../private/x"):
        req = Request("GET", "http", "a", path, "", {}, "127.0.0.1")
        holds = p.rules[0].cond.holds(Facts(req, now=0))
        assert holds is (path != "/%70RIVATE/x"), path


def test_the_example_in_the_docs_loads() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "gate.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", doc, re.DOTALL)
    assert block is not None
    p = parse_policy(block.group(1), source="docs/gate.md")
    assert p.hosts and p.member == 12 and isinstance(p.rules[1].cond, Agent)


def test_a_yaml_alias_bomb_in_rule_conditions_is_refused_not_expanded() -> None:
    lines = ["site: s", "hosts: [a]", "x0: &x0 {user_agent: bot}"]
    lines += [
        f"x{i}: &x{i} {{all: [*x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}]}}" for i in range(1, 30)
    ]
    lines += ["rules:", "  - if: *x29", "    then: refuse"]
    with pytest.raises(PolicyError, match=r"line 4: not valid YAML: aliases"):
        parse_policy("\n".join(lines) + "\n")


@pytest.mark.parametrize("text", ["- site: s\n", "just a string\n", "42\n"])
def test_a_policy_whose_top_level_is_not_a_mapping_is_refused(text: str) -> None:
    with pytest.raises(PolicyError, match="must be a mapping"):
        parse_policy(text)


def test_a_python_tag_in_a_policy_value_is_refused() -> None:
    with pytest.raises(PolicyError, match="line 1: not valid YAML: could not determine"):
        parse_policy("site: !!python/name:os.system\n")
