"""Files and the database fail as our errors (never a raw OSError or SQLAlchemy error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from syndic.errors import DatabaseError, InputFileError, OutputFileError, SyndicError
from syndic.storage.db import Database
from syndic.storage.files import make_dir, read_input, write_lines, write_output


def test_reading_a_file(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_bytes(b"{}")
    assert read_input(f) == b"{}"
    with pytest.raises(InputFileError, match=r"cannot read receipt .*nope: no such file"):
        read_input(tmp_path / "nope", what="receipt")
    with pytest.raises(InputFileError, match="it is a directory"):
        read_input(tmp_path)


def test_writing_files(tmp_path: Path) -> None:
    out = write_output(tmp_path / "x" / "y.txt", "héllo", atomic=True)
    assert out.read_text(encoding="utf-8") == "héllo"
    assert not list((tmp_path / "x").glob("*.tmp"))
    assert write_lines(tmp_path / "d.jsonl", iter([b"a\n", b"", b"b\n"])) == 2
    assert (tmp_path / "d.jsonl").read_bytes() == b"a\nb\n"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputFileError, match="cannot create directory"):
        make_dir(blocker / "sub")
    with pytest.raises(OutputFileError):
        write_output(blocker / "y.txt", b"")
    with pytest.raises(OutputFileError):
        write_lines(blocker / "z.jsonl", iter([b"a"]))


def test_a_failing_line_source_leaves_no_part_file(tmp_path: Path) -> None:
    def lines() -> object:
        yield b"a\n"
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        write_lines(tmp_path / "d.jsonl", lines())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_database_failures_are_database_errors(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        missing = r"^database: no such table: missing_table$"
        with pytest.raises(DatabaseError, match=missing), db.read() as session:
            session.execute(text("SELECT * FROM missing_table"))
        with pytest.raises(DatabaseError) as caught, db.write() as session:
            session.execute(text("INSERT INTO missing_table VALUES (1)"))
        assert isinstance(caught.value, SyndicError) and caught.value.status == 500
    finally:
        db.dispose()
