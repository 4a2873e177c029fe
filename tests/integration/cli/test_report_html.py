"""`syndic report --html FILE` for any coalition (not only the demo's): licensees named, every
member findable, how to verify the log, the gate's section, every event kind on the chart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndic.cli.main import main
from tests.coalition import FEE, active_agreement, world
from tests.conftest import MakeSyndic


def test_the_report_page_for_a_small_coalition(
    make_syndic: MakeSyndic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(make_syndic, n=7)
    agreement = active_agreement(w)
    w.s.payouts.book_revenue(agreement, FEE)
    w.s.distribute(agreement)
    w.s.members.leave(w.members[-1])
    w.s.provenance.checkpoint()
    data_dir = str(w.s.settings.data_dir)
    page = tmp_path / "out" / "report.html"
    assert main(["report", "--data-dir", data_dir, "--html", str(page)]) == 0
    assert "report page written to" in capsys.readouterr().out
    html = page.read_text()
    assert "<td>Lab</td>" in html  # the licensee by name, not by id
    table = html[
        html.index('id="all-members"') : html.index("</table>", html.index('id="all-members"'))
    ]
    assert len(re.findall(r"<tr><td>\d+</td>", table)) == 7  # everyone, the one who left too
    for m in range(7):
        assert f"<td>m{m}</td>" in table
    assert 'type="search"' in html and "left" in table
    assert "syndic log verify" in html and w.s.public_key in html
    assert 'id="gate"' in html and "No crawler has been through the gate yet" in html
    events = html[html.index('id="log"') :]
    for kind in w.s.event_counts():  # the rare kinds are drawn too (log scale, labelled)
        assert kind in events, kind
    assert "log scale" in events
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from a CDN


def test_an_unwritable_report_path_is_one_line(
    make_syndic: MakeSyndic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = make_syndic()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(
        ["report", "--data-dir", str(s.settings.data_dir), "--html", str(blocker / "r.html")]
    )
    err = capsys.readouterr().err
    assert code != 0 and err.startswith("error: cannot ") and err.count("\n") == 1
