"""`syndic import manifest|dir`, `vault verify|gc` and `export --format webdataset` from the
real entry point: one line per refusal, one-line errors, a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.cli.main import main
from tests.unit.catalogue.files import png


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_manifest_and_directory_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "d")
    assert run(capsys, "--data-dir", d, "init", "--name", "C")[0] == 0
    m = tmp_path / "m.csv"
    m.write_text("headline,text,byline\nOne,first,ann\nTwo,,ann\nThree,third,bob\n")
    code, _, err = run(
        capsys, "import", "manifest", str(m), "--map", "title=headline", "--map",
        "producer=byline", "--data-dir", d,
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1 and "line 3: give either a file path or the text" in err
    code, out, _ = run(
        capsys, "import", "manifest", str(m), "--map", "title=headline", "--map",
        "producer=byline", "--skip-bad", "--data-dir", d,
    )  # fmt: skip
    assert code == 0
    assert "2 new works" in out and "refused line 3:" in out
    pics = tmp_path / "pics"
    pics.mkdir()
    (pics / "dawn.png").write_bytes(png())
    code, out, _ = run(
        capsys, "import", "dir", str(pics), "--holder", "ann=100", "--json", "--data-dir", d
    )
    result = json.loads(out)
    assert code == 0 and result["works_created"] == 1
    assert result["without_text"] == [{"line": 1, "reason": "image/png: an image has no text"}]
    code, out, _ = run(capsys, "vault", "verify", "--json", "--data-dir", d)
    assert code == 0 and json.loads(out)["orphans"] == []
    code, out, _ = run(capsys, "vault", "gc", "--data-dir", d)
    assert code == 0 and out.startswith("removed 0 orphan blob(s)")
    code, _, err = run(capsys, "import", "dir", str(tmp_path / "nope"), "--data-dir", d)
    assert code == 2 and err.strip().endswith("is not a directory")


def test_work_add_of_an_image_then_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path / "d")
    assert run(capsys, "--data-dir", d, "init", "--name", "C")[0] == 0
    run(capsys, "member", "join", "--handle", "ann", "--payout-account", "x", "--data-dir", d)
    pic = tmp_path / "dawn.png"
    pic.write_bytes(png(6, 5))
    code, out, _ = run(
        capsys, "work", "add", str(pic), "--title", "Dawn", "--holder", "1=100", "--json",
        "--data-dir", d,
    )  # fmt: skip
    work = json.loads(out)["work"]
    assert code == 0 and work["media_type"] == "image/png"
    assert (work["meta"]["width"], work["meta"]["height"]) == (6, 5)


def test_manifest_import_flags_near_copies_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path / "d")
    assert run(capsys, "--data-dir", d, "init", "--name", "C")[0] == 0
    text = " ".join(f"tide{i}" for i in range(80))
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"title": "Tides", "text": text, "producer": "ann"}) + "\n")
    assert run(capsys, "import", "manifest", str(first), "--data-dir", d)[0] == 0
    copy, own = text.replace("tide40 ", ""), text.replace("tide20 ", "")
    rows = [
        {"title": "Tides again", "text": copy, "producer": "bob"},
        {"title": "Tides, revised", "text": own, "producer": "ann"},
        {"title": "Other", "text": " ".join(f"sea{i}" for i in range(80)), "producer": "bob"},
    ]
    second = tmp_path / "second.jsonl"
    second.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, _ = run(capsys, "import", "manifest", str(second), "--data-dir", d)
    assert code == 0 and "2 near copies of earlier works, 1 of them another member's" in out
    code, out, _ = run(capsys, "work", "copies", "--json", "--data-dir", d)
    states = {c["title"]: c["state"] for c in json.loads(out)}
    assert states == {"Tides again": "candidate", "Tides, revised": "own"}
