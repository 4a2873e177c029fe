"""Schemathesis against the app, from its own OpenAPI description, for every kind of caller:
valid and invalid requests to every operation, each sent as every caller, and not one 5xx.

Seeded (derandomized) so a failure reproduces; ``SYNDIC_FUZZ_EXAMPLES`` raises the number of
cases per operation and mode for a longer run (docs/api.md records the figures)."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import MakeSyndic
from tests.integration.api.callers import coalition

ROLES = ("no key", "member", "licensee", "steward")
EXAMPLES = int(os.environ.get("SYNDIC_FUZZ_EXAMPLES", "3"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


Seen = dict[str, Counter[str]]


def fuzz(operation: Any, mode: GenerationMode, callers: dict[str, dict[str, str]]) -> Seen:
    """Send ``EXAMPLES`` generated requests to one operation, each as every caller: per
    caller, how many got each status class, and under "5xx: ..." what each 5xx said."""
    seen: Seen = {role: Counter() for role in callers}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        for role, headers in callers.items():
            response = case.call(headers=headers)
            seen[role][f"{response.status_code // 100}xx"] += 1
            if response.status_code >= 500:
                seen[role][f"5xx: {operation.label} [{mode.value}]: {response.text[:200]}"] += 1

    with contextlib.suppress(Unsatisfiable):  # no invalid input for an operation taking none
        call()
    return seen


def test_no_operation_answers_5xx_to_any_caller(make_syndic: MakeSyndic) -> None:
    c = coalition(make_syndic)
    schema = schemathesis.openapi.from_asgi("/openapi.json", c.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    callers = {role: c.headers(role) for role in ROLES}
    seen: Seen = {role: Counter() for role in ROLES}
    for operation in operations:
        for mode in MODES:
            for role, counts in fuzz(operation, mode, callers).items():
                seen[role] += counts
    for role in ROLES:
        classes = {k: seen[role][k] for k in ("2xx", "3xx", "4xx", "5xx") if seen[role][k]}
        cases = sum(classes.values())
        print(f"schemathesis as {role}: {len(operations)} operations, {cases} cases, {classes}")
        assert cases >= len(operations) * EXAMPLES
        assert seen[role]["2xx"] > 0  # requests were answered, not all refused
    assert [k for counts in seen.values() for k in counts if k.startswith("5xx")] == []
