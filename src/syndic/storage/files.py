"""Reading the files a user names and writing the files we produce, with our errors.

An ``OSError`` never leaves these functions: a file that cannot be read is an
``InputFileError``, a path that cannot be written an ``OutputFileError``, each naming the
path and the reason in words."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from syndic.errors import InputFileError, OutputFileError


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_input(path: Path, *, what: str = "") -> bytes:
    """The bytes of a file the user gave; ``what`` names it in messages ("receipt")."""
    name = f"{what} {path}" if what else str(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(f"cannot read {name}: no such file") from exc
    except IsADirectoryError as exc:
        raise InputFileError(f"cannot read {name}: it is a directory") from exc
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {_reason(exc)}") from exc


def make_dir(path: Path) -> Path:
    """``path`` as a directory (created with its parents if missing)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFileError(f"cannot create directory {path}: {_reason(exc)}") from exc
    return path


def write_lines(path: Path, lines: Iterable[bytes]) -> int:
    """Stream ``lines`` into ``path`` through a sibling file renamed over it at the end;
    returns how many non-empty lines were written. Nothing is left behind on failure."""
    make_dir(path.parent)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as fh:
            n = sum(fh.write(line) > 0 for line in lines)
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise OutputFileError(f"cannot write {path}: {_reason(exc)}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return n


def write_output(path: Path, data: bytes | str, *, atomic: bool = False) -> Path:
    """Write ``data`` to ``path`` (parents created). ``atomic`` writes a sibling file first
    and renames it over ``path``, so a reader never sees half a file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    make_dir(path.parent)
    target = path.with_name(path.name + ".tmp") if atomic else path
    try:
        target.write_bytes(raw)
        if atomic:
            os.replace(target, path)
    except OSError as exc:
        if atomic:
            target.unlink(missing_ok=True)
        raise OutputFileError(f"cannot write {path}: {_reason(exc)}") from exc
    return path
