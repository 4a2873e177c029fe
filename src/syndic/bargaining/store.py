"""The index sets and the pool's definition of a leverage run, as one ``.npz`` file (kept in
the vault by content digest): what ``verify`` and ``export`` rebuild the run from."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from syndic.errors import IntegrityError

IntArray = NDArray[np.int64]
_PREFIX = "set/"  # then the index set's own name (which has "/" in it: numpy keeps it)


@dataclass(frozen=True)
class PoolRows:
    """The pool works a run used, in id order: id, content digest, label and holders."""

    work_ids: list[int]
    digests: list[str]
    labels: list[str]
    holders: list[list[int]]


def pack(pool: PoolRows, outside_rows: list[int], sets: dict[str, IntArray]) -> bytes:
    ptr = np.cumsum([0, *[len(h) for h in pool.holders]]).astype(np.int64)
    arrays: dict[str, NDArray[object]] = {  # type: ignore[type-var]
        "pool_work_ids": np.asarray(pool.work_ids, dtype=np.int64),
        "pool_digests": np.asarray(pool.digests, dtype=str),
        "pool_labels": np.asarray(pool.labels, dtype=str),
        "pool_holder_ptr": ptr,
        "pool_holders": np.asarray([m for h in pool.holders for m in h], dtype=np.int64),
        "outside_rows": np.asarray(outside_rows, dtype=np.int64),
    }
    for name, idx in sets.items():
        arrays[_PREFIX + name] = np.asarray(idx, dtype=np.int64)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def unpack(data: bytes) -> tuple[PoolRows, list[int], dict[str, IntArray]]:
    try:
        z = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"the run's stored index sets do not read: {exc}") from exc
    with z:
        ptr = z["pool_holder_ptr"].tolist()
        flat = z["pool_holders"].tolist()
        pool = PoolRows(
            work_ids=[int(v) for v in z["pool_work_ids"].tolist()],
            digests=[str(v) for v in z["pool_digests"].tolist()],
            labels=[str(v) for v in z["pool_labels"].tolist()],
            holders=[flat[ptr[i] : ptr[i + 1]] for i in range(len(ptr) - 1)],
        )
        sets = {
            k.removeprefix(_PREFIX): np.asarray(z[k], dtype=np.int64)
            for k in z.files
            if k.startswith(_PREFIX)
        }
        return pool, [int(v) for v in z["outside_rows"].tolist()], sets


def array_digest(x: NDArray[np.float64]) -> str:
    """SHA-256 over a float64 matrix's shape and C-order bytes."""
    h = hashlib.sha256(f"{x.shape[0]}x{x.shape[1]}:".encode())
    h.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    return "sha256:" + h.hexdigest()
