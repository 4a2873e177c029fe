"""Exact splits never lose a minor unit."""

from __future__ import annotations

import pytest

from syndic.errors import InvalidInput
from syndic.payouts.policies import split_exact


def test_split_exact_never_loses_a_minor_unit() -> None:
    parts = split_exact(100, {1: 1, 2: 1, 3: 1})
    assert sum(parts.values()) == 100
    assert parts == {1: 34, 2: 33, 3: 33}
    parts = split_exact(1_000_003, {i: i for i in range(1, 50)})
    assert sum(parts.values()) == 1_000_003
    with pytest.raises(InvalidInput):
        split_exact(10, {1: 0})
