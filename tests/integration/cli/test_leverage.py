"""``syndic leverage`` and ``syndic deal assess``: the real entry point, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.cli.main import main
from tests.unit.bargaining.helpers import papers, write_jsonl

SMALL = [
    "--families",
    "linear",
    "--dims",
    "8",
    "--seeds",
    "2",
    "--n-sizes",
    "4",
    "--min-size",
    "10",
    "--groups",
    "1",
    "--eval-fraction",
    "0.2",
    "--executor",
    "serial",
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def coalition(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """One data dir with a pooled coalition, and the outside data, for every test here."""
    tmp = tmp_path_factory.mktemp("leverage-cli")
    d = ["--data-dir", str(tmp / "d")]
    pool = write_jsonl(tmp / "pool.jsonl", papers(60, seed=1, prefix="pool"))
    assert main(["init", "--name", "C", *d]) == 0
    assert main(["import", "arxiv", str(pool), *d]) == 0
    return d, write_jsonl(tmp / "outside.jsonl", papers(90, seed=2, prefix="out"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--price-per-work-minor", "0"], "price per work minor must be positive"),
        (["--value-per-point-minor", "-1"], "value per point minor must be positive"),
        (["--sizes", "10,20,30,5000"], "is larger than the outside arm's"),
        (["--builder-size", "100000"], "that is extrapolation; ask for it with --extrapolate"),
        (["--eval-fraction", "0.02"], "the evaluation set would hold fewer than 5 works"),
    ],
)
def test_leverage_refusals_are_one_line_and_store_nothing(
    coalition: tuple[list[str], Path],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    d, outside = coalition
    before = run(capsys, "leverage", "runs", "--json", *d)[1]
    code, _, err = run(capsys, "leverage", "run", "--outside", str(outside), *SMALL, *args, *d)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert run(capsys, "leverage", "runs", "--json", *d)[1] == before


def test_leverage_commands(
    tmp_path: Path, coalition: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d, outside = coalition

    code, out, err = run(capsys, "leverage", "run", "--outside", str(outside), *SMALL, "--json", *d)
    assert code == 0, err
    made = json.loads(out)
    assert made["result_digest"].startswith("sha256:") and made["points"]
    code, out, _ = run(capsys, "leverage", "show", *d)
    assert code == 0 and f"leverage run {made['id']}:" in out and "data strike costs" in out
    code, out, _ = run(capsys, "leverage", "runs", "--json", *d)
    assert [r["id"] for r in json.loads(out)][-1] == made["id"]
    code, out, err = run(capsys, "leverage", "verify", str(made["id"]), *d)
    assert code == 0 and "reproduced" in out, err
    code, out, _ = run(
        capsys, "leverage", "export", str(made["id"]), "--out", str(tmp_path / "x"), *d
    )
    assert code == 0 and (tmp_path / "x" / "README.md").is_file()
    code, out, _ = run(capsys, "leverage", "chart", "-o", str(tmp_path / "c.svg"), *d)
    assert code == 0 and (tmp_path / "c.svg").read_bytes().lstrip().startswith(b"<?xml")


def test_bad_files_and_missing_things_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    run(capsys, "init", "--name", "C", *d)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "t", "abstract": "x"}\n')
    for args, message in [
        (["leverage", "run", "--outside", str(bad)], "line 1: no label 'field'"),
        (["leverage", "run", "--outside", str(tmp_path / "none.jsonl")], "no such file"),
        (["leverage", "show"], "no leverage run yet"),
        (["leverage", "verify", "9"], "no leverage run with id 9"),
        (["leverage", "chart", "-o", str(tmp_path / "c.txt")], "must end in .svg or .png"),
        (["deal", "assess", "99"], "no deal with id 99"),
    ]:
        code, _, err = run(capsys, *args, *d)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (args, err)
