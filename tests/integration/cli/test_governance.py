"""The real `syndic` entry point for governance: tally, charter, delegation, negotiation,
disputes, agreements; errors are one line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from syndic.cli.main import main
from syndic.deals.agreement import file_bytes
from tests.coalition import LAB_KEY, approved, world
from tests.conftest import MakeSyndic

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "ballots.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_vote_tally_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    winners = {}
    for method in ("majority", "supermajority", "quadratic", "delegated"):
        code, out, _ = run(capsys, "vote", "tally", str(EXAMPLE), "--method", method, "--json")
        assert code == 0
        winners[method] = json.loads(out)["winner"]
    assert winners == {
        "majority": "yes",
        "supermajority": "no",
        "quadratic": "no",
        "delegated": "no",
    }
    chart = tmp_path / "totals.svg"
    code, out, _ = run(
        capsys, "vote", "tally", str(EXAMPLE), "--method", "delegated", "--chart", str(chart)
    )
    assert code == 0 and "frank carried ivan, mallory" in out
    assert "delegation cycle: niaj -> olivia -> niaj" in out
    assert chart.read_text().startswith("<svg")
    code, out, _ = run(
        capsys, "vote", "tally", str(EXAMPLE), "--method", "majority", "--threshold", "60", "--json"
    )
    assert json.loads(out)["threshold_bp"] == 6000 and json.loads(out)["winner"] == "yes"

    doc = json.loads(EXAMPLE.read_text())
    bad = tmp_path / "bad.json"
    cases = [
        (
            {**doc, "ballots": [*doc["ballots"], {"voter": "zoe", "choice": "yes"}]},
            "zoe is not a voter",
        ),
        ({**doc, "ballots": [*doc["ballots"], doc["ballots"][0]]}, "alice voted twice"),
        (
            {**doc, "delegations": [{"from": "bob", "to": "bob"}]},
            "bob cannot delegate to themselves",
        ),
        ({**doc, "credits": 20}, "frank spends 49 voice credits but has 20"),
    ]
    for content, message in cases:
        bad.write_text(json.dumps(content))
        code, _, err = run(capsys, "vote", "tally", str(bad), "--method", "quadratic")
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    bad.write_text("[")
    for args, message in (
        ([str(bad), "--method", "majority"], "not valid JSON"),
        ([str(tmp_path / "none.json"), "--method", "majority"], "no such file"),
        ([str(EXAMPLE)], "name a voting method"),
        ([str(EXAMPLE), "--method", "majority", "--threshold", "40"], "between 50% and 100%"),
    ):
        code, _, err = run(capsys, "vote", "tally", *args)
        assert code != 0 and message in err and "Traceback" not in err, err


def test_governance_through_the_cli(
    tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    run(capsys, *d, "init", "--name", "C")
    run(capsys, *d, "import", "arxiv", str(fixture_jsonl))
    charter = tmp_path / "charter.json"
    charter.write_text(
        json.dumps({"deal_vote": {"method": "quadratic", "delegation": True, "early_close": True}})
    )
    assert run(capsys, *d, "charter", "found", str(charter))[0] == 0
    code, _, err = run(capsys, *d, "charter", "found", str(charter))
    assert code == 2 and "already has a charter" in err
    code, out, _ = run(capsys, *d, "charter", "show", "--json")
    assert json.loads(out)["deal_vote"]["method"] == "quadratic"

    lab_key = tmp_path / "lab.key"
    pub = run(capsys, "agreement", "keygen", "--out", str(lab_key))[1].strip()
    run(capsys, *d, "licensee", "add", "--name", "Lab", "--contact", "x@y")
    assert run(capsys, *d, "licensee", "key", "1", "--public-key", pub)[0] == 0
    code, out, _ = run(capsys, *d, "licensee", "users", "1", "--mau", "5000")
    assert code == 0 and out.strip() == "licensee 1: 5000 monthly active users"
    assert (
        run(
            capsys, *d, "deal", "offer", "--licensee", "1", "--permit", "ai-train", "--price", "80"
        )[0]
        == 0
    )
    code, _, err = run(capsys, *d, "deal", "accept", "1")
    assert code == 2 and "licensee's own" in err
    code, _, err = run(
        capsys,
        *d,
        "deal",
        "counter",
        "1",
        "--permit",
        "ai-train",
        "--price",
        "100",
        "--installment",
        "0=50",
        "--installment",
        "90=40",
    )
    assert code == 2 and "adds up to 9000" in err
    assert (
        run(
            capsys,
            *d,
            "deal",
            "counter",
            "1",
            "--permit",
            "ai-train",
            "--price",
            "100",
            "--installment",
            "0=50",
            "--installment",
            "90=50",
        )[0]
        == 0
    )
    code, out, _ = run(capsys, *d, "deal", "offers", "1")
    assert "terms.amount_minor: 8000 -> 10000" in out
    assert run(capsys, *d, "deal", "accept", "1")[0] == 0
    assert run(capsys, *d, "work", "dispute", "1", "--reason", "co-author claim")[0] == 0
    code, out, _ = run(capsys, *d, "deal", "coverage", "1", "--json")
    assert json.loads(out)["held_out"]["disputed"] == 1
    code, out, _ = run(capsys, *d, "deal", "open-vote", "1")
    assert code == 0 and "as the members were told when the vote opened" in out
    assert "no leverage run yet" in out
    code, out, _ = run(capsys, *d, "vote", "show", "1")
    assert "price 100.00 EUR: no leverage run yet" in out
    code, out, _ = run(capsys, *d, "vote", "show", "1", "--json")
    assert json.loads(out)["question"]["assessment"]["leverage_run"] is None

    code, _, err = run(capsys, *d, "delegation", "set", "--member", "3", "--to", "3")
    assert code == 2 and err.strip() == "error: a member cannot delegate to themselves"
    assert (
        run(capsys, *d, "delegation", "set", "--member", "3", "--to", "1", "--topic", "deals")[0]
        == 0
    )
    code, out, _ = run(capsys, *d, "delegation", "list", "--json")
    assert json.loads(out)[0]["delegate_id"] == 1
    code, _, err = run(capsys, *d, "vote", "cast", "1", "--member", "1", "--votes", "yes=11")
    assert code == 2 and "spends 121 voice credits but has 100" in err
    for m in (1, 2, 4, 5, 6, 7):
        assert run(capsys, *d, "vote", "cast", "1", "--member", str(m), "--votes", "yes=3")[0] == 0
    code, out, _ = run(capsys, *d, "vote", "credits", "3", "--json")
    assert json.loads(out)["credits"] == 100
    code, out, _ = run(capsys, *d, "deal", "close-vote", "1", "--now", "--json")
    outcome = json.loads(out)["outcome"]
    assert outcome["totals"]["yes"] == 21 and outcome["method"] == "quadratic"
    assert run(capsys, *d, "vote", "credits", "3")[1].strip() == "member 3: 91 voice credits"
    ballots = tmp_path / "ballots.json"
    assert run(capsys, *d, "vote", "export", str(outcome["proposal"]), "-o", str(ballots))[0] == 0
    code, out, _ = run(capsys, "vote", "tally", str(ballots), "--json")
    assert json.loads(out)["totals"] == outcome["totals"]

    assert run(capsys, *d, "deal", "sign", "1")[0] == 0
    agreement = tmp_path / "d" / "agreements" / "agreement-1.json"
    sig = run(capsys, "agreement", "signature", str(agreement), "--key", str(lab_key))[1].strip()
    assert run(capsys, *d, "deal", "countersign", "1", "--signature", sig)[0] == 0
    code, out, _ = run(
        capsys, "agreement", "verify", str(agreement), "--licensee-key", pub, "--json"
    )
    assert code == 0 and json.loads(out)["works"] == 239 and json.loads(out)["licensee_key"] == pub
    code, out, _ = run(capsys, *d, "agreement", "rsl", "1", "--base-url", "https://c.example")
    assert "https://c.example/v1/agreements/1/dataset.jsonl" in out
    code, out, _ = run(capsys, *d, "agreement", "show", "1", "--json")
    assert json.loads(out)["agreement"]["status"] == "active"
    data = bytearray(agreement.read_bytes())
    data[len(data) // 3] ^= 0x04
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(bytes(data))
    code, _, err = run(capsys, "agreement", "verify", str(tampered))
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "agreement", "verify", str(agreement), "--licensee-key", "AAAA")
    assert code == 2 and "not the one you trust" in err

    amendment = tmp_path / "amend.json"
    amendment.write_text(json.dumps({"payout_floor_bp": 1000}))
    code, out, _ = run(capsys, *d, "charter", "propose", str(amendment), "--json")
    pid = json.loads(out)["id"]
    for m in range(1, 13):  # every member votes, so the amendment may close early
        assert (
            run(capsys, *d, "vote", "ballot", str(pid), "--member", str(m), "--choice", "yes")[0]
            == 0
        )
    code, out, _ = run(capsys, *d, "vote", "close", str(pid), "--now")
    assert "charter version 2 adopted" in out
    code, out, _ = run(capsys, *d, "charter", "history", "--json")
    assert [v["version"] for v in json.loads(out)] == [1, 2]
    assert run(capsys, *d, "work", "resolve", "1", "--holder", "1=100")[0] == 0
    code, _, err = run(capsys, *d, "work", "resolve", "1")
    assert code == 2 and "not disputed" in err
    code, out, _ = run(capsys, *d, "vote", "list", "--json")
    assert [p["kind"] for p in json.loads(out)] == ["deal", "charter"]


def test_agreement_signature_checks_the_file_before_signing(
    make_syndic: MakeSyndic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(make_syndic, n=2)
    a = w.s.deals.sign(approved(w))
    path = w.s.deals.agreement_path(a.id)
    key = tmp_path / "lab.key"
    key.write_bytes(LAB_KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    key.chmod(0o600)
    code, out, err = run(capsys, "agreement", "signature", str(path), "--key", str(key))
    assert code == 0, err
    assert base64.b64decode(out.strip()) == LAB_KEY.sign(w.s.deals.agreement_document(a.id))
    code, _, err = run(
        capsys, "agreement", "signature", str(path), "--key", str(key), "--coalition-key", "AAAA"
    )
    assert code == 2 and "not the one you trust" in err

    data = path.read_bytes()
    body = json.loads(data)
    cases = {
        # the coalition's signature is over other bytes: nothing to countersign
        "forged.json": file_bytes(
            {**body["document"], "agreement": 99},
            body["signatures"]["coalition"],
            None,
        ),
        # a second "document" key: json.loads keeps the last one, the canonical parser refuses
        "twice.json": data.replace(b'{"document":', b'{"document":{},"document":', 1),
        "bare.json": w.s.deals.agreement_document(a.id) + b"\n",
    }
    for name, content in cases.items():
        bad = tmp_path / name
        bad.write_bytes(content)
        code, out, err = run(capsys, "agreement", "signature", str(bad), "--key", str(key))
        assert code == 2 and out == "" and err.startswith("error: "), (name, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert (
        "coalition's signature does not verify"
        in run(capsys, "agreement", "signature", str(tmp_path / "forged.json"), "--key", str(key))[
            2
        ]
    )
    assert (
        "canonical"
        in run(capsys, "agreement", "signature", str(tmp_path / "twice.json"), "--key", str(key))[2]
    )
    assert (
        "sign the agreement file"
        in run(capsys, "agreement", "signature", str(tmp_path / "bare.json"), "--key", str(key))[2]
    )


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("[1, 2]", "an array"),
        ('[["version", 3]]', "an array"),
        ('"x"', "a string"),
        ("3", "a number"),
        ("null", "null"),
    ],
)
def test_a_charter_file_that_is_not_an_object_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, what: str
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    assert run(capsys, "init", *d, "--name", "C")[0] == 0
    f = tmp_path / "charter.json"
    f.write_text(text)
    code, _, err = run(capsys, "charter", "found", str(f), *d)
    assert code == 2 and err == f"error: a charter is a JSON object, not {what}\n"


def test_a_gate_policy_alias_bomb_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.foundation.test_safe_yaml import BOMB

    f = tmp_path / "gate.yaml"
    f.write_text(BOMB)
    code, _, err = run(capsys, "gate", "check", str(f))
    assert code == 2 and err.count("\n") == 1 and "aliases" in err and "line 2" in err
