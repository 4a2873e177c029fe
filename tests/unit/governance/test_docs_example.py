"""docs/governance.md's worked example is the code's output, not numbers typed by hand."""

from __future__ import annotations

import re
from pathlib import Path

from syndic.governance.voting.ballot_file import load, tally

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _rows() -> list[list[str]]:
    text = (DOCS / "governance.md").read_text()
    block = text.split("<!-- worked-example:start -->")[1].split("<!-- worked-example:end -->")[0]
    lines = [ln for ln in block.strip().splitlines()[2:] if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]


def test_the_worked_example_table_matches_the_tally() -> None:
    f = load(DOCS / "examples" / "ballots.json")
    rows = _rows()
    assert len(rows) == 5
    winners = set()
    for method_cell, yes, no, turnout, winner, why in rows:
        args = method_cell.strip("`").split()
        out = tally(f, method=args[0], delegation=True if "--delegation" in args else None)
        assert [yes, no] == [str(out.totals["yes"]), str(out.totals["no"])], method_cell
        assert turnout == f"{out.turnout} of {out.electorate}", method_cell
        assert winner == f"**{out.winner}**", method_cell
        assert why == out.reason, method_cell
        winners.add(out.winner)
    assert winners == {"yes", "no"}  # the same ballots decide differently


def test_the_ballot_table_matches_the_file() -> None:
    text = (DOCS / "governance.md").read_text()
    f = load(DOCS / "examples" / "ballots.json")
    for b in f.ballots:
        ((option, n),) = b.as_votes().items()
        row = next(ln for ln in text.splitlines() if re.match(rf"\| [a-z, ]*\b{b.voter}\b", ln))
        assert f"{option} {n}" in row, b.voter
    assert len(f.voters) == 13 and "13 members" in text
