"""MinHash signatures of texts, computed in batches and compatible with datasketch.

A text becomes a set of **word k-shingles**: the text is normalised (NFKC, case folded,
zero-width and format characters removed) and cut into ``\\w+`` words, and every run of
``k`` consecutive words is one shingle. A text with fewer than ``k`` words is one shingle of
all its words, so short texts still have a signature; a text with no words has the empty
signature (every slot at its maximum), as datasketch's empty ``MinHash``.

``signatures`` computes the MinHash of many texts at once in numpy. It gives exactly what
datasketch gives for the same shingles when datasketch is built with our hash function::

    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=shingle_hash)   # scheme "affine32"
    for s in shingles(text): m.update(s)
    assert (m.hashvalues == signatures([text])[0]).all()

so datasketch's ``MinHashLSH`` and ``MinHashLSHEnsemble`` index our rows through
``LeanMinHash(seed=SEED, hashvalues=row, scheme="affine32")`` (``lean`` below). The
permutations themselves are datasketch's (read from a ``MinHash`` of the same ``num_perm``
and ``seed``), so the two cannot drift apart.

Why it is faster than a loop of ``MinHash.update``: no Python runs per word or per shingle.
A batch of normalised texts is one byte buffer; a word's hash is a polynomial hash of its
bytes (read off prefix sums, so every word of the batch is hashed by a few array
operations), a shingle's hash combines the hashes of its words with the MurmurHash3
finalizer, and the permutations and the per-text minimum are a few array operations over
the whole batch instead of a numpy call per shingle.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from datasketch import LeanMinHash

K = 5
"""Words per shingle (docs/detection.md gives the measurement behind it)."""
NUM_PERM = 128
"""Permutations per signature: the standard error of an estimated Jaccard is about
``sqrt(J (1 - J) / NUM_PERM)``, 0.044 at J = 0.5."""
SEED = 1
"""datasketch's default seed, so a default ``MinHash(hashfunc=shingle_hash)`` matches."""
SCHEME = "affine32"
"""datasketch's permutation scheme (its default since 2.0): uint32 hash values."""

Signatures = npt.NDArray[np.uint32]
IdT = TypeVar("IdT", bound=Hashable)

_MASK64 = (1 << 64) - 1
_MAX32 = np.uint32(0xFFFFFFFF)
_WORD = re.compile(r"\w+")
_START = 0x9E3779B97F4A7C15  # the shingle hash's starting state (the golden ratio, 64 bits)
_BATCH_SHINGLES = 1 << 15  # shingles per array pass: 16 MiB of uint32 at 128 permutations
_BATCH_BYTES = 1 << 20  # normalised text per batch (about 1,000 abstracts): memory stays flat
_P = 0x100000001B3  # the word hash's multiplier (odd, so invertible modulo 2^64)


@lru_cache(maxsize=1)
def invisible() -> dict[int, None]:
    """A ``str.translate`` table removing characters a reader cannot see and that copies
    often lose or gain: zero-width spaces and joiners, the word joiner, the byte-order mark,
    the soft hyphen and every other format character (Unicode category Cf) in the Basic
    Multilingual Plane and the tag block. Built on first use (it costs tens of ms)."""
    return {
        cp: None
        for cp in [*range(0x10000), *range(0xE0000, 0xE0080)]
        if unicodedata.category(chr(cp)) == "Cf"
    }


_ASCII_GAPS = (
    bytes(c if chr(c).isalnum() or c == ord("_") else ord(" ") for c in range(128)) + b" " * 128
)


def normalise(text: str) -> str:
    """The text shingles are cut from: NFKC, case folded, invisible characters removed."""
    return unicodedata.normalize("NFKC", text).translate(invisible()).casefold()


def _normalised_bytes(text: str) -> bytes:
    """The words of ``text``, normalised and UTF-8 encoded, separated by spaces."""
    if text.isascii():
        # The common case without the regex engine: bytes.translate maps every character
        # that is not [A-Za-z0-9_] to a space (ASCII text is already NFKC and has no
        # invisible characters), several times faster than findall.
        return text.encode().lower().translate(_ASCII_GAPS)
    return b" ".join(w.encode() for w in _WORD.findall(normalise(text)))


def words(text: str) -> list[bytes]:
    """The normalised words of ``text``, in order, UTF-8 encoded."""
    return _normalised_bytes(text).split()


def shingles(text: str, k: int = K) -> set[bytes]:
    """The set of normalised word ``k``-shingles of ``text`` (words joined by one space)."""
    ws = words(text)
    if not ws:
        return set()
    if len(ws) < k:
        return {b" ".join(ws)}
    return {b" ".join(ws[i : i + k]) for i in range(len(ws) - k + 1)}


def _fmix64(h: int) -> int:
    """MurmurHash3's 64-bit finalizer on a Python int (the scalar twin of ``_fmix64_array``)."""
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def _fmix64_array(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h = h ^ (h >> np.uint64(33))
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _fmix64_inplace(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``_fmix64_array`` overwriting ``h`` (no temporaries the size of ``h`` beyond one)."""
    t = h >> np.uint64(33)
    h ^= t
    h *= np.uint64(0xFF51AFD7ED558CCD)
    np.right_shift(h, np.uint64(33), out=t)
    h ^= t
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    np.right_shift(h, np.uint64(33), out=t)
    h ^= t
    return h


def _fmix32_array(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer: the pre-mix datasketch applies to every input hash."""
    h = h ^ (h >> np.uint32(16))
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _word_hash(word: bytes) -> int:
    """``fmix64(len + sum(byte_j * P^j))`` modulo 2^64: the scalar twin of ``_word_hashes``."""
    h, power = 0, 1
    for byte in word:
        h = (h + byte * power) & _MASK64
        power = (power * _P) & _MASK64
    return _fmix64((h + len(word)) & _MASK64)


def _fold(h: int) -> int:
    return (h ^ (h >> 32)) & 0xFFFFFFFF


def shingle_hash(shingle: bytes) -> int:
    """The 32-bit hash of one shingle: datasketch's ``hashfunc`` for our signatures."""
    h = _START
    for word in shingle.split(b" "):
        h = _fmix64(h ^ _word_hash(word))
    return _fold(h)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[Signatures, Signatures]:
    """datasketch's affine permutations ``(a, b)`` for ``num_perm`` and ``seed``: h -> a*h + b
    modulo 2^32 with an odd ``a`` (a bijection), both drawn from numpy's ``RandomState(seed)``
    in datasketch's order, so signatures stay equal to its own (tested). Drawn here rather
    than taken from a ``MinHash``: importing datasketch loads scipy, half a second that every
    registration and import would wait for."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def _powers(base: int, n: int) -> npt.NDArray[np.uint64]:
    """``base^0 .. base^(n-1)`` modulo 2^64 (numpy's integer arrays wrap)."""
    return _power_table(base, max(1 << 16, 1 << (n - 1).bit_length()))[:n]


@lru_cache(maxsize=4)
def _power_table(base: int, n: int) -> npt.NDArray[np.uint64]:
    out = np.full(n, np.uint64(base), dtype=np.uint64)
    out[:1] = 1
    table = np.cumprod(out, dtype=np.uint64)
    table.flags.writeable = False
    return table


def _word_hashes(buf: bytes) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """The hash of every word in ``buf`` (words split by spaces) and where each starts."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    inside = np.zeros(len(arr) + 2, dtype=np.bool_)
    np.not_equal(arr, ord(" "), out=inside[1:-1])
    # a word starts or ends wherever inside changes; padded with spaces, they alternate
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    starts, ends = edges[0::2], edges[1::2]
    prefix = np.zeros(len(arr) + 1, dtype=np.uint64)
    np.cumsum(np.multiply(arr, _powers(_P, len(arr)), dtype=np.uint64), out=prefix[1:])
    # sum over the word of byte_j * P^(position), shifted to start at P^0 by P^-start.
    sums = (prefix[ends] - prefix[starts]) * _powers(pow(_P, -1, 1 << 64), len(arr) + 1)[starts]
    sums += (ends - starts).astype(np.uint64)
    return _fmix64_inplace(sums), starts


def _shingle_hashes(
    word_hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.intp], k: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """64-bit hashes of every shingle of a batch, and the index of the text each belongs to
    (``_fold`` gives the 32-bit hash datasketch sees).

    ``word_hashes`` holds the words of all texts end to end; text ``t`` owns
    ``word_hashes[offsets[t]:offsets[t + 1]]``. A shingle starts at every word that has
    ``k - 1`` words of its own text after it; a text shorter than ``k`` contributes one
    shingle of all its words (combined one word at a time below, the rest left out).
    """
    lengths = np.diff(offsets)
    span = np.minimum(k, lengths)  # words in a shingle of each text
    count = np.where(lengths > 0, lengths - span + 1, 0)  # shingles of each text
    owner = np.repeat(np.arange(len(lengths)), count)
    # the first word of each shingle: its text's first word plus its rank within the text
    first = np.arange(len(owner)) + np.repeat(offsets[:-1] - (np.cumsum(count) - count), count)
    h = np.full(len(first), np.uint64(_START), dtype=np.uint64)
    padded = np.concatenate([word_hashes, np.zeros(k, dtype=np.uint64)])
    short = span[owner] if (span[count > 0] < k).any() else None
    for i in range(k):
        mixed = _fmix64_inplace(h ^ padded[first + i])
        # texts shorter than k stop combining after their last word
        h = mixed if short is None else np.where(i < short, mixed, h)
    return h, owner


def _minhash_rows(
    hashes: npt.NDArray[np.uint32],
    owner: npt.NDArray[np.intp],
    n_texts: int,
    a: Signatures,
    b: Signatures,
) -> Signatures:
    """The per-text minimum of ``a * fmix32(h) + b`` (mod 2^32), as datasketch computes it."""
    out = np.full((n_texts, len(a)), _MAX32, dtype=np.uint32)
    if len(hashes) == 0:
        return out
    mixed = _fmix32_array(hashes)
    # owner is sorted (shingles come text by text): one reduceat per text that has shingles.
    # The permutations run along rows (num_perm x shingles) so that reduceat walks contiguous
    # memory, five times faster than down columns.
    present, starts = np.unique(owner, return_index=True)
    ends = np.append(starts[1:], len(mixed))
    for lo in range(0, len(mixed), _BATCH_SHINGLES):
        hi = min(lo + _BATCH_SHINGLES, len(mixed))
        phv = np.multiply.outer(a, mixed[lo:hi])
        phv += b[:, None]
        seg = (starts < hi) & (ends > lo)
        mins = np.minimum.reduceat(phv, np.clip(starts[seg], lo, None) - lo, axis=1).T
        rows = present[seg]
        out[rows] = np.minimum(out[rows], mins)
    return out


def signatures(
    texts: Iterable[str], *, num_perm: int = NUM_PERM, seed: int = SEED, k: int = K
) -> Signatures:
    """MinHash signatures of ``texts``, one row each: an array of shape (n, num_perm).

    ``num_perm``: more permutations narrow the error of estimated similarity (see
    ``NUM_PERM``) at a linear cost in time and space. ``seed`` chooses datasketch's
    permutations; signatures compare only under the same ``num_perm``, ``seed`` and ``k``.
    ``k``: words per shingle (``K``). Any iterable works; it is read once, in batches of
    about a megabyte of text, so memory stays flat whatever the number of texts.
    """
    if num_perm < 1 or k < 1:
        raise ValueError("num_perm and k must be positive")
    a, b = permutations(num_perm, seed)
    blocks: list[Signatures] = []
    pending: list[bytes] = []
    size = 0
    for text in texts:
        pending.append(_normalised_bytes(text))
        size += len(pending[-1]) + 1
        if size >= _BATCH_BYTES:
            blocks.append(_batch(pending, a, b, k))
            pending, size = [], 0
    blocks.append(_batch(pending, a, b, k))
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def _fold_array(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    return (h ^ (h >> np.uint64(32))).astype(np.uint32)


def _batch(parts: Sequence[bytes], a: Signatures, b: Signatures, k: int) -> Signatures:
    hashes, owner = _batch_shingles(parts, k)
    return _minhash_rows(_fold_array(hashes), owner, len(parts), a, b)


def _batch_shingles(
    parts: Sequence[bytes], k: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    buf = b" ".join(parts)
    hashes, word_starts = _word_hashes(buf)
    text_starts = np.cumsum([0, *(len(p) + 1 for p in parts[:-1])]).astype(np.intp)
    offsets = np.searchsorted(word_starts, np.append(text_starts, len(buf) + 1))
    return _shingle_hashes(hashes, offsets.astype(np.intp), k)


@dataclass(frozen=True)
class Sketch:
    """A batch of texts sketched once for both uses: MinHash rows for similarity, and each
    text's distinct 64-bit shingle hashes (``hashes[owner == i]``) for exact overlap counts."""

    sigs: Signatures
    hashes: npt.NDArray[np.uint64]
    owner: npt.NDArray[np.intp]
    sizes: npt.NDArray[np.intp]  # distinct shingles per text


def shingle_hashes(
    texts: Sequence[str], *, k: int = K
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """The 64-bit hash of every shingle of ``texts`` (one batch: the caller bounds its size),
    repeats included, and the index of the text each belongs to (ascending)."""
    return _batch_shingles([_normalised_bytes(t) for t in texts], k)


def distinct(
    hashes: npt.NDArray[np.uint64], owner: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """``shingle_hashes`` less repeats within a text, still in text order."""
    # one sort on a key mixing text and hash (a collision between two different pairs has
    # probability 2^-64), then back in text order
    key = hashes ^ (owner.astype(np.uint64) * np.uint64(_START))
    _, first = np.unique(key, return_index=True)
    first.sort()
    return hashes[first], owner[first]


def minhash_rows(
    hashes: npt.NDArray[np.uint64],
    owner: npt.NDArray[np.intp],
    n_texts: int,
    *,
    num_perm: int = NUM_PERM,
    seed: int = SEED,
) -> Signatures:
    """Signatures of ``n_texts`` texts from their shingle hashes (``shingle_hashes``, or a
    subset holding every shingle of the texts wanted); texts without any get an empty row."""
    a, b = permutations(num_perm, seed)
    return _minhash_rows(_fold_array(hashes), owner, n_texts, a, b)


def sketch(
    texts: Sequence[str], *, num_perm: int = NUM_PERM, seed: int = SEED, k: int = K
) -> Sketch:
    """``signatures`` of ``texts`` together with their distinct shingle hashes (one batch:
    the caller bounds its size)."""
    hashes, owner = shingle_hashes(texts, k=k)
    sigs = minhash_rows(hashes, owner, len(texts), num_perm=num_perm, seed=seed)
    hashes, owner = distinct(hashes, owner)
    return Sketch(
        sigs=sigs,
        hashes=hashes,
        owner=owner,
        sizes=np.bincount(owner, minlength=len(texts)).astype(np.intp),
    )


def jaccard(x: Signatures, y: Signatures) -> float:
    """Estimated Jaccard similarity of two signatures: the share of slots that agree."""
    return float(np.mean(x == y))


def lean(row: Signatures, *, seed: int = SEED) -> LeanMinHash:
    """A datasketch ``LeanMinHash`` of one signature row, to index in datasketch's LSH."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=row, scheme=SCHEME)


def near_copy_clusters(
    ids: Sequence[IdT], sigs: Signatures, *, threshold: float, seed: int = SEED
) -> list[list[IdT]]:
    """Groups of near copies among ``ids`` (row ``i`` of ``sigs`` is the signature of ``ids[i]``).

    Candidates come from datasketch's ``MinHashLSH`` at ``threshold``; a pair is kept only
    when its estimated Jaccard similarity is at least ``threshold`` (LSH lets some pairs below
    it through); kept pairs are joined transitively. Only groups of two or more are returned,
    each in input order, the groups ordered by their first member: the same input gives the
    same output. Empty signatures (texts without words) are never near copies.
    """
    from datasketch import MinHashLSH

    if len(ids) != len(sigs):
        raise ValueError("ids and signatures differ in length")
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    lsh = MinHashLSH(threshold=threshold, num_perm=sigs.shape[1])
    present = [int(i) for i in np.flatnonzero(~np.all(sigs == _MAX32, axis=1))]
    for i in present:
        lsh.insert(i, lean(sigs[i], seed=seed), check_duplication=False)
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in present:
        for j in lsh.query(lean(sigs[i], seed=seed)):
            if j > i and jaccard(sigs[i], sigs[j]) >= threshold:
                ri, rj = root(i), root(j)
                parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[IdT]] = {}
    for n, ident in enumerate(ids):
        groups.setdefault(root(n), []).append(ident)
    return [g for _, g in sorted(groups.items()) if len(g) > 1]


BANDS = 32
"""Bands of ``NUM_PERM / BANDS`` = 4 slots for ``band_keys``: a pair at estimated Jaccard 0.7
shares a band with probability ``1 - (1 - 0.7**4)**32`` > 0.9998, at 0.5 with 0.87."""
MAX_RUN = 32
"""Earlier rows read per shared band key (the earliest ones): a text registered many times
over still costs a bounded number of comparisons."""
_BRUTE_CELLS = 1 << 23  # new rows x earlier rows x slots compared directly, not through bands


def band_keys(sigs: Signatures, *, bands: int = BANDS) -> npt.NDArray[np.uint64]:
    """The LSH band keys of each signature row, shape (n, bands): a 64-bit hash of each band
    of ``num_perm / bands`` consecutive slots. Two rows that agree on a whole band have the
    same key there (and different bands almost never collide)."""
    n, num_perm = sigs.shape
    if bands < 1 or num_perm % bands:
        raise ValueError(f"{num_perm} permutations do not split into {bands} bands")
    rows = sigs.reshape(n, bands, num_perm // bands).astype(np.uint64)
    h = np.full((n, bands), np.uint64(_START), dtype=np.uint64)
    for i in range(rows.shape[2]):
        h = _fmix64_array(h ^ rows[:, :, i])
    return h


_ROW_BITS = 32  # a held entry packs a band key's top 32 bits above its row's 32
_ROW_MASK = np.uint64((1 << _ROW_BITS) - 1)
_MERGED_MAX = 1 << 17  # runs this long are not merged further: merging costs a copy of both


class BandIndex:
    """The band keys of the first ``n`` rows of a growing set of signatures, so a batch of
    new rows finds the earlier rows it shares a band with by binary search.

    Each entry is one 64-bit integer, the key's top 32 bits above the row's number, so one
    sorted array per band orders entries by key and, within a key, earliest row first (8
    bytes an entry, where a key and a row apart took 16). Rows are added in runs, one per
    batch, each sorted once; a run is merged with the one before it while that one is no
    longer (as a log-structured merge does), so adding a batch never copies the whole index,
    and a search visits a few dozen runs at most. Rows are numbered below 2**32. Two keys that
    agree on their top 32 bits only make a candidate pair that the signatures then refuse."""

    def __init__(self, *, bands: int = BANDS) -> None:
        self.bands = bands
        self.runs: list[npt.NDArray[np.uint64]] = []  # each (bands, rows), oldest rows first
        self.n = 0

    def add(self, keys: npt.NDArray[np.uint64]) -> None:
        """Rows ``n, n + 1, ...`` with these band keys (``band_keys`` of their signatures)."""
        if not len(keys):
            return
        if self.n + len(keys) > 1 << _ROW_BITS:
            raise ValueError("a band index holds at most 2**32 rows")
        rows = np.arange(self.n, self.n + len(keys), dtype=np.uint64)
        run = ((keys.T >> np.uint64(_ROW_BITS)) << np.uint64(_ROW_BITS)) | rows
        run.sort(axis=1)
        self.runs.append(run)
        while len(self.runs) > 1:
            last, before = self.runs[-1], self.runs[-2]
            if before.shape[1] > last.shape[1] or before.shape[1] >= _MERGED_MAX:
                break
            merged = np.concatenate([before, last], axis=1)
            merged.sort(axis=1, kind="stable")  # two sorted halves: one merge pass (timsort)
            self.runs[-2:] = [merged]
        self.n += len(keys)

    def pairs(
        self, keys: npt.NDArray[np.uint64], *, max_run: int = MAX_RUN
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(i, j): row ``i`` of ``keys`` shares a band with held row ``j`` (at most
        ``max_run`` of the earliest ``j`` per band), without duplicates."""
        found: list[npt.NDArray[np.int64]] = []
        if self.n == 0:
            return _split(found, 1)
        top = (keys >> np.uint64(_ROW_BITS)) << np.uint64(_ROW_BITS)
        for band in range(self.bands):
            # searching in sorted order walks the held entries forward (cache friendly)
            order = np.argsort(top[:, band])
            q = top[order, band]
            left = np.full(len(q), max_run, dtype=np.intp)  # rows still to take, per query
            todo = np.arange(len(q))  # the queries that still take rows (stays sorted)
            for run in self.runs:  # oldest first: the earliest rows are taken first
                if not len(todo):
                    break
                held = run[band]
                lo = np.searchsorted(held, q[todo], side="left")
                match = np.zeros(len(todo), dtype=bool)
                inside = np.flatnonzero(lo < len(held))
                match[inside] = (held[lo[inside]] & ~_ROW_MASK) == q[todo[inside]]
                hit, lo = todo[match], lo[match]
                if not len(hit):
                    continue
                if max_run == 1:  # the first entry of the key is the one taken
                    count = np.ones(len(hit), dtype=np.intp)
                else:  # the end of the key's entries is searched only where it has some
                    end = np.searchsorted(held, q[hit] | _ROW_MASK, side="right")
                    count = np.minimum(end - lo, left[hit])
                left[hit] -= count
                a, b = _expand(np.arange(len(hit)), lo, count)
                rows = (held[b] & _ROW_MASK).astype(np.int64)
                found.append(order[hit[a]].astype(np.int64) * self.n + rows)
                todo = todo[left[todo] > 0]
        return _split(found, self.n)


class EarlierRows(Protocol):
    """Signatures of earlier rows, read where needed: a large pool need not be held in
    memory (``members.copies.PoolSigs`` reads its candidates' from the database)."""

    def __len__(self) -> int: ...

    def take(self, rows: npt.NDArray[np.intp]) -> Signatures: ...


def _take(pool: Signatures | EarlierRows, rows: npt.NDArray[np.intp]) -> Signatures:
    return pool[rows] if isinstance(pool, np.ndarray) else pool.take(rows)


def earlier_near_copies(
    pool: Signatures | EarlierRows,
    new: Signatures,
    *,
    threshold: float,
    index: BandIndex | None = None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Which ``new`` rows nearly copy an earlier row: rows are numbered ``pool`` first (in
    registration order), then ``new``; for each new row ``i`` that has one, the earliest
    ``j < i`` whose estimated Jaccard similarity with it is at least ``threshold``. Returns
    ``(i, j, similarity)``.

    A few new rows are compared with every earlier row; many go through LSH: the pool's
    band keys in ``index`` (a caller that keeps one across batches passes it; it is brought
    up to ``len(pool)`` rows here), the new rows' among themselves, and only the candidates'
    signatures are read from ``pool``. Every candidate pair is checked against ``threshold``,
    as ``near_copy_clusters`` does. Empty signatures (texts without words) are never near
    copies."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    start, num_perm = len(pool), new.shape[1]
    n = start + len(new)
    if len(new) * n * num_perm <= _BRUTE_CELLS:
        held = _take(pool, np.arange(start))
        a, b, sim = _with_text(held, new, *_direct(held, new, threshold))
    else:
        index = index or BandIndex()
        if index.n > start:
            raise ValueError("the band index holds rows past the pool")
        if index.n < start:
            earlier = _take(pool, np.arange(index.n, start))
            index.add(band_keys(earlier, bands=index.bands))
        a, b, sim = _banded(pool, new, band_keys(new, bands=index.bands), index, threshold)
    return _earliest(a, b, sim)  # the earliest match of each new row


Pairs = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]


def _banded(
    pool: Signatures | EarlierRows,
    new: Signatures,
    keys: npt.NDArray[np.uint64],
    index: BandIndex,
    threshold: float,
) -> Pairs:
    """Pairs at ``threshold`` or above among the candidates the bands give, in two rounds.
    First each new row's earliest candidate alone (the first of the earliest rows of its band
    keys): every other candidate of the row comes later, so when that one is near enough it
    is the row's answer. Only the rows where it is not take every candidate (``MAX_RUN`` a
    band): a text registered many times over costs one comparison a row, not a thousand."""
    start = len(pool)
    a, b, _ = _earliest(*_candidates(index, keys, start, max_run=1))
    first = _near(pool, new, a, b, threshold)
    rest = np.setdiff1d(a, first[0]) - start  # rows whose earliest candidate is not near
    rest = rest[~np.all(new[rest] == _MAX32, axis=1)]  # a row without text has no copy
    if not len(rest):
        return first
    pa, pb = index.pairs(keys[rest])
    wa, wb = _band_pairs(keys, 0)
    inside = np.isin(wa, rest)
    more = _near(
        pool,
        new,
        np.concatenate([rest[pa], wa[inside]]) + start,
        np.concatenate([pb, wb[inside] + start]),
        threshold,
    )
    return (
        np.concatenate([first[0], more[0]]),
        np.concatenate([first[1], more[1]]),
        np.concatenate([first[2], more[2]]),
    )


def _candidates(
    index: BandIndex, keys: npt.NDArray[np.uint64], start: int, *, max_run: int
) -> Pairs:
    """(new row, earlier row) sharing a band, numbered pool first; no similarities yet."""
    pa, pb = index.pairs(keys, max_run=max_run)
    wa, wb = _band_pairs(keys, 0, max_run=max_run)
    a = np.concatenate([pa, wa]) + start
    return a, np.concatenate([pb, wb + start]), np.zeros(len(a))


def _near(
    pool: Signatures | EarlierRows,
    new: Signatures,
    a: npt.NDArray[np.intp],
    b: npt.NDArray[np.intp],
    threshold: float,
) -> Pairs:
    """The pairs whose estimated similarity is at least ``threshold``, with it; neither row
    an empty signature (a text without words). Each earlier row is read once."""
    start, num_perm = len(pool), new.shape[1]
    mine, theirs = new[a - start], _rows(pool, new, b)
    sim = np.count_nonzero(mine == theirs, axis=1) / num_perm
    keep = (sim >= threshold) & ~np.all(mine == _MAX32, axis=1) & ~np.all(theirs == _MAX32, axis=1)
    return a[keep], b[keep], sim[keep]


def _with_text(
    pool: Signatures,
    new: Signatures,
    a: npt.NDArray[np.intp],
    b: npt.NDArray[np.intp],
    sim: npt.NDArray[np.float64],
) -> Pairs:
    """The pairs neither of whose rows is an empty signature (a text without words)."""
    start = len(pool)
    empty = np.all(new[a - start] == _MAX32, axis=1) | np.all(_rows(pool, new, b) == _MAX32, axis=1)
    return a[~empty], b[~empty], sim[~empty]


def _earliest(
    a: npt.NDArray[np.intp], b: npt.NDArray[np.intp], sim: npt.NDArray[np.float64]
) -> Pairs:
    """Each new row's pair with the earliest row: sorted by (new row, earlier row), first."""
    order = np.lexsort((b, a))
    a, b, sim = a[order], b[order], sim[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = a[1:] != a[:-1]
    return a[first], b[first], sim[first]


def _rows(pool: Signatures | EarlierRows, new: Signatures, at: npt.NDArray[np.intp]) -> Signatures:
    """Rows ``at`` of ``pool`` followed by ``new``."""
    out = np.empty((len(at), new.shape[1]), dtype=np.uint32)
    inside = at < len(pool)
    out[inside] = _take(pool, at[inside])
    out[~inside] = new[at[~inside] - len(pool)]
    return out


def _direct(
    pool: Signatures, new: Signatures, threshold: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Every (i, j < i) at ``threshold`` or above, each new row compared with every earlier
    row (no gathering: one comparison of the row against the block before it)."""
    start, num_perm = len(pool), new.shape[1]
    a: list[npt.NDArray[np.intp]] = []
    b: list[npt.NDArray[np.intp]] = []
    sims: list[npt.NDArray[np.float64]] = []
    for k, row in enumerate(new):
        sim = np.concatenate(
            [
                np.count_nonzero(pool == row, axis=1),
                np.count_nonzero(new[:k] == row, axis=1),
            ]
        ) / float(num_perm)
        hit = np.flatnonzero(sim >= threshold)
        a.append(np.full(len(hit), start + k, dtype=np.intp))
        b.append(hit.astype(np.intp))
        sims.append(sim[hit])
    if not a:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0)
    return np.concatenate(a), np.concatenate(b), np.concatenate(sims)


def _expand(
    which: npt.NDArray[np.intp], lo: npt.NDArray[np.intp], count: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """For each ``w`` in ``which``, ``count[w]`` pairs (w, lo[w] + 0, 1, ...)."""
    c = count[which]
    total = int(c.sum())
    offset = np.arange(total) - np.repeat(np.cumsum(c) - c, c)
    return np.repeat(which, c), np.repeat(lo[which], c) + offset


def _split(
    found: list[npt.NDArray[np.int64]], n: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    if not found:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    both = np.unique(np.concatenate(found))
    return (both // n).astype(np.intp), (both % n).astype(np.intp)


def _band_pairs(
    keys: npt.NDArray[np.uint64], start: int, *, max_run: int = MAX_RUN
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(i, j), ``i >= start``, ``j < i``, that share a band key (at most ``MAX_RUN`` of the
    earliest ``j`` per band, ``max_run``), without duplicates."""
    n = len(keys)
    pairs: list[npt.NDArray[np.int64]] = []
    for band in range(keys.shape[1]):
        col = keys[:, band]
        order = np.argsort(col, kind="stable")  # equal keys stay in row order
        ranked = col[order]
        where = np.empty(n, dtype=np.intp)
        where[order] = np.arange(n)
        pos = where[start:]  # each new row's place among the sorted keys
        lo = np.searchsorted(ranked, ranked[pos], side="left")
        count = np.minimum(pos - lo, max_run)  # the rows before it with the same key
        a, b = _expand(np.flatnonzero(count), lo, count)
        pairs.append(order[pos[a]].astype(np.int64) * n + order[b])
    return _split(pairs, n)
