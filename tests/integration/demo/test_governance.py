"""What the demo leaves behind: a vote under the charter and an agreement both parties signed,
checkable offline."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from syndic.cli.main import main
from syndic.deals.agreement import verify_file
from syndic.errors import VerificationError
from syndic.keys import load_key_file, public_b64
from syndic.terms.rsl import parse_rsl


@pytest.mark.slow
def test_the_demo_votes_under_its_charter_and_signs_twice(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = demo_dir / "agreements" / "agreement-1.json"
    coalition = public_b64(load_key_file(demo_dir / "coalition.key"))
    licensee = public_b64(load_key_file(demo_dir / "licensee-signing.key"))
    assert (
        main(
            [
                "agreement",
                "verify",
                str(path),
                "--coalition-key",
                coalition,
                "--licensee-key",
                licensee,
                "--json",
            ]
        )
        == 0
    )
    verified = json.loads(capsys.readouterr().out)
    assert verified["keys_pinned"] and verified["works"] == 7122

    data = path.read_bytes()
    rng = random.Random(6)
    for i in [0, len(data) - 1, *rng.sample(range(len(data)), 40)]:
        bad = bytearray(data)
        bad[i] ^= 1 << rng.randrange(8)
        with pytest.raises(VerificationError):
            verify_file(bytes(bad))

    doc = json.loads(data)["document"]
    assert doc["governance"]["method"] == "quadratic"
    assert doc["payment_schedule"][1]["due_days"] == 180
    ballots = demo_dir / "votes" / "deal-1-ballots.json"
    f = json.loads(ballots.read_text())
    assert (f["method"], f["delegation"], len(f["voters"])) == ("quadratic", True, 292)
    assert f["delegations"], "the demo's members delegate"
    assert main(["vote", "tally", str(ballots), "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["totals"] == doc["governance"]["totals"] and outcome["winner"] == "yes"
    assert outcome["delegation"]["carried"]
    assert (demo_dir / "votes" / "deal-1.svg").read_text().startswith("<svg")
    report = (demo_dir / "demo-report.html").read_text()
    votes = report[report.index('<h2 id="votes">') :]
    assert "quadratic with delegation" in votes and "<svg" in votes
    rsl = parse_rsl((demo_dir / "agreements" / "agreement-1.rsl.xml").read_text())
    assert rsl.contents[0].url.endswith("/v1/agreements/1/dataset.jsonl")
