"""Terms: a prohibition beats a permission."""

from __future__ import annotations

import pytest

from syndic.terms.models import Terms, Usage


def test_terms_prohibition_beats_permission() -> None:
    t = Terms(
        permits=frozenset({Usage.AI_ALL}), prohibits=frozenset({Usage.AI_TRAIN}), amount_minor=100
    )
    assert t.allows(Usage.AI_INPUT)
    assert not t.allows(Usage.AI_TRAIN)
    assert not t.allows(Usage.SEARCH)
    with pytest.raises(ValueError, match="amount"):
        Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=0)
