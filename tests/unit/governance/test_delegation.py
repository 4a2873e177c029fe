"""Liquid delegation: transitive, per topic or global, direct votes override, cycles reported."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndic.errors import InvalidInput
from syndic.governance.voting.delegation import Delegation, effective, resolve


def test_chains_carry_to_the_first_direct_voter() -> None:
    carriers, report = resolve("abcde", {"a": "b", "b": "c", "d": "e"}, direct={"c"})
    assert carriers == {"a": "c", "b": "c"}
    assert report.carried == {"c": ["a", "b"]}
    assert report.chains["a"] == ["a", "b", "c"]
    assert report.lost == {"d": "e neither voted nor delegated"}


def test_a_direct_vote_overrides_ones_own_delegation() -> None:
    carriers, report = resolve("abc", {"a": "b", "b": "c"}, direct={"b", "c"})
    assert carriers == {"a": "b"}  # b voted, so a follows b; b is not carried by c
    assert "b" not in report.chains


def test_cycles_are_reported_once_in_a_canonical_rotation() -> None:
    carriers, report = resolve("abcdx", {"c": "a", "a": "b", "b": "c", "x": "a"}, direct=set())
    assert carriers == {}
    assert report.cycles == [["a", "b", "c"]]
    assert set(report.lost) == {"a", "b", "c", "x"}
    assert report.lost["x"] == "delegation cycle through a"


def test_topic_delegation_beats_global() -> None:
    ds = [Delegation("a", "b"), Delegation("a", "c", "deals"), Delegation("d", "e", "charter")]
    assert effective(ds, "deals") == {"a": "c"}
    assert effective(ds, "charter") == {"a": "b", "d": "e"}
    assert effective(ds, None) == {"a": "b"}


def test_refusals() -> None:
    with pytest.raises(InvalidInput, match="cannot delegate to themselves"):
        effective([Delegation("a", "a")], None)
    with pytest.raises(InvalidInput, match="delegates twice on 'deals'"):
        effective([Delegation("a", "b", "deals"), Delegation("a", "c", "deals")], "deals")


voters = st.lists(st.sampled_from("abcdefgh"), unique=True, min_size=1)


@given(st.data())
def test_resolution_does_not_depend_on_input_order(data: st.DataObject) -> None:
    vs = data.draw(voters)
    delegates = {v: data.draw(st.sampled_from(vs)) for v in vs if data.draw(st.booleans())}
    delegates = {k: v for k, v in delegates.items() if k != v}
    direct = set(data.draw(st.lists(st.sampled_from(vs), unique=True)))
    shuffled = data.draw(st.permutations(vs))
    a = resolve(vs, delegates, direct)
    b = resolve(shuffled, dict(reversed(list(delegates.items()))), direct)
    assert a[0] == b[0] and a[1] == b[1]
    # every non-direct voter with a delegation is either carried or reported lost
    for v in vs:
        if v not in direct and v in delegates:
            assert (v in a[0]) != (v in a[1].lost)
            if v in a[0]:
                assert a[0][v] in direct
