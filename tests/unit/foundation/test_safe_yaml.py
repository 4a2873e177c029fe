"""YAML from others is read with aliases refused and nesting and size bounded."""

from __future__ import annotations

import pytest

from syndic import safe_yaml

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_at_its_first_alias() -> None:
    with pytest.raises(safe_yaml.YamlError) as err:
        safe_yaml.compose(BOMB)
    assert "aliases" in err.value.problem and err.value.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nother:\n  <<: *b\n",  # a merge key is an alias too
        "- &a 1\n- *a\n",
    ],
)
def test_every_alias_is_refused(text: str) -> None:
    with pytest.raises(safe_yaml.YamlError, match="aliases"):
        safe_yaml.safe_load(text)


def test_deep_nesting_and_huge_files_are_refused() -> None:
    with pytest.raises(safe_yaml.YamlError, match="deeper than 64"):
        safe_yaml.compose("[" * 10_000 + "]" * 10_000)
    with pytest.raises(safe_yaml.YamlError, match="larger than"):
        safe_yaml.compose("a: " + "x" * (safe_yaml.MAX_BYTES + 1))


def test_plain_data_still_reads() -> None:
    assert safe_yaml.safe_load("a: [1, {b: c}]\nd: &anchor-only 2\n") == {
        "a": [1, {"b": "c"}],
        "d": 2,
    }
    assert safe_yaml.safe_load("") is None
    with pytest.raises(safe_yaml.YamlError):
        safe_yaml.safe_load("!!python/object:os.system {}\n")
