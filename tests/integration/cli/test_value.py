"""``syndic value``: the real entry point, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_value_commands(
    tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    assert run(capsys, "init", "--name", "C", *d)[0] == 0
    assert run(capsys, "import", "arxiv", str(fixture_jsonl), *d)[0] == 0
    code, out, err = run(
        capsys,
        "value", "run", "--method", "knn-shapley", "--label", "field",
        "--folds", "3", "--repeats", "1", "--seed", "0", "--group-permutations", "10", "--json", *d,
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert made["method"] == "knn-shapley" and made["seed"] == 0
    assert made["snapshot_root"] and made["result_digest"].startswith("sha256:")

    code, out, _ = run(capsys, "value", "show", "--json", *d)
    shown = json.loads(out)
    assert shown["run"]["id"] == made["id"] and len(shown["members"]) == 12

    code, out, _ = run(capsys, "value", "show", "--member", "3", "--json", *d)
    one = json.loads(out)["member"]
    assert one["member_id"] == 3 and one["explanation"]["sentence"]
    code, out, _ = run(capsys, "value", "show", "--member", "3", *d)
    assert code == 0 and out.startswith("Your ")
    code, out, _ = run(capsys, "value", "show", *d)
    assert code == 0 and "group shapley" in out
    code, out, _ = run(capsys, "value", "show", "--works", "--member", "3", "--json", *d)
    assert code == 0 and json.loads(out)["works"]
    code, out, _ = run(capsys, "value", "runs", "--json", *d)
    assert [r["id"] for r in json.loads(out)] == [made["id"]]

    png = tmp_path / "m3.png"
    assert run(capsys, "value", "chart", "--member", "3", "-o", str(png), *d)[0] == 0
    assert png.read_bytes().startswith(b"\x89PNG")

    code, out, _ = run(capsys, "value", "verify", str(made["id"]), "--json", *d)
    assert code == 0 and json.loads(out)["same"] is True

    # refusals: one line on stderr, non-zero exit, no traceback
    for args, message in [
        (["value", "run", "--label", "nope"], "no 'nope' in their metadata"),
        (["value", "run", "--folds", "1"], "at least 2 folds"),
        (["value", "run", "--k", "1000"], "larger than the training set"),
        (["value", "show", "--member", "99"], "no member with id 99"),
        (["value", "show", "--run", "42"], "no valuation run with id 42"),
        (["value", "chart", "--member", "3", "-o", str(tmp_path / "x.gif")], ".svg or .png"),
    ]:
        code, _, err = run(capsys, *args, *d)
        assert code == 2, (args, err)
        assert err.startswith("error: ") and message in err, err
        assert "Traceback" not in err
    code, out, _ = run(capsys, "value", "runs", "--json", *d)
    assert len(json.loads(out)) == 1  # nothing was stored by the refused runs
