"""The ballot file: validation (each refusal) and the method dispatch, on the docs example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from syndic.errors import CreditsExceeded, InputFileError, InvalidInput
from syndic.governance.voting.ballot_file import load, parse, tally

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "ballots.json"


def base(**extra: Any) -> dict[str, Any]:
    return {"voters": [{"id": "a"}, {"id": "b"}, {"id": "c"}], **extra}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (base(ballots=[{"voter": "z", "choice": "yes"}]), "z is not a voter and cannot vote"),
        (
            base(ballots=[{"voter": "a", "choice": "yes"}, {"voter": "a", "choice": "no"}]),
            "a voted twice",
        ),
        (base(delegations=[{"from": "a", "to": "a"}]), "a cannot delegate to themselves"),
        (base(delegations=[{"from": "a", "to": "q"}]), "q, who is not a voter"),
        (base(ballots=[{"voter": "a", "choice": "maybe"}]), "'maybe', which is not an option"),
        (base(ballots=[{"voter": "a"}]), "either a choice or votes"),
        (base(ballots=[{"voter": "a", "choice": "yes", "votes": {}}]), "either a choice"),
        ({"voters": [{"id": "a"}, {"id": "a"}]}, "a voter is listed twice"),
        (base(status_quo="never"), "status quo 'never'"),
        (base(format="other/v9"), "format"),
        (base(quorum_bp=20_000), "quorum_bp"),
        (base(surprise=1), "surprise"),
        ({}, "voters"),
    ],
)
def test_refusals(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse(doc)


def test_over_spent_voice_credits_are_refused() -> None:
    f = parse(base(credits=9, quorum_bp=1, ballots=[{"voter": "a", "votes": {"yes": 3, "no": 1}}]))
    with pytest.raises(CreditsExceeded, match="spends 10 voice credits but has 9"):
        tally(f, method="quadratic")
    assert tally(f, method="majority").winner == "yes"  # one head, one vote


def test_method_is_required_and_known() -> None:
    f = parse(base())
    with pytest.raises(InvalidInput, match="name a voting method"):
        tally(f)
    with pytest.raises(InvalidInput, match="unknown voting method"):
        tally(f, method="borda")


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="not valid JSON"):
        load(bad)


def test_the_docs_example_gives_different_outcomes_per_method() -> None:
    f = load(EXAMPLE)
    got = {m: tally(f, method=m) for m in ("majority", "supermajority", "quadratic", "delegated")}
    assert {m: o.winner for m, o in got.items()} == {
        "majority": "yes",
        "supermajority": "no",
        "quadratic": "no",
        "delegated": "no",
    }
    assert got["supermajority"].passed is False  # the status quo stands
    d = got["delegated"].delegation
    assert d is not None
    assert d.carried == {"frank": ["ivan", "mallory"], "grace": ["judy"]}
    assert d.chains["mallory"] == ["mallory", "ivan", "frank"]
    assert d.cycles == [["niaj", "olivia"]]
    assert "erin" not in d.chains  # voted directly: her delegation to frank is overridden
    both = tally(f, method="quadratic", delegation=True)
    assert both.totals["no"] == 18 + 7 + 6 + 7 and both.turnout == 11
    assert json.loads(json.dumps(both.to_dict()))["delegation"]["cycles"] == [["niaj", "olivia"]]
