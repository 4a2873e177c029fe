"""MinHash signatures: shingles, equality with datasketch, LSH interop and near-copy groups."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from syndic.detection import minhash
from syndic.detection.minhash import (
    lean,
    near_copy_clusters,
    shingle_hash,
    shingles,
    signatures,
)

VOCAB = [f"w{i}" for i in range(400)]


def _texts(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(VOCAB, k=rng.randint(0, 60))) for _ in range(n)]


def _datasketch(text: str, *, num_perm: int, seed: int, k: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    for s in shingles(text, k=k):
        m.update(s)
    return m.hashvalues


def test_shingles_are_normalised_word_runs() -> None:
    text = "The ＱＵＩＣＫ  brown\u200b fox,\njumps over"
    assert shingles(text, k=3) == {
        b"the quick brown",
        b"quick brown fox",
        b"brown fox jumps",
        b"fox jumps over",
    }
    assert shingles("Hello, World", k=5) == {b"hello world"}  # shorter than k: one shingle
    assert shingles(" ... ", k=5) == set()
    assert shingles("Ça été ﬁne", k=2) == {"ça été".encode(), "été fine".encode()}


def test_invisible_and_width_changes_do_not_change_the_signature() -> None:
    plain = "Neural networks learn representations of data at many scales"
    altered = "NEURAL  net\u200bworks learn\u00a0representations of data at\ufeff many scales"
    assert (signatures([plain]) == signatures([altered])).all()


@pytest.mark.parametrize(("num_perm", "seed", "k"), [(128, 1, 5), (64, 7, 3), (16, 42, 1)])
def test_signatures_equal_a_datasketch_update_loop(num_perm: int, seed: int, k: int) -> None:
    texts = _texts(40)
    sigs = signatures(texts, num_perm=num_perm, seed=seed, k=k)
    assert sigs.shape == (40, num_perm)
    assert sigs.dtype == np.uint32
    for text, row in zip(texts, sigs, strict=True):
        assert (row == _datasketch(text, num_perm=num_perm, seed=seed, k=k)).all()


@pytest.mark.parametrize("num_perm", [1, 16, 128, 256])
@pytest.mark.parametrize("seed", [0, 1, 42, 12345])
def test_permutations_are_datasketchs_own(num_perm: int, seed: int) -> None:
    a, b = minhash.permutations(num_perm, seed)
    theirs = MinHash(num_perm=num_perm, seed=seed, scheme=minhash.SCHEME).permutations
    assert a.dtype == b.dtype == np.uint32
    assert (a == theirs[0]).all() and (b == theirs[1]).all()
    assert (a % 2 == 1).all()  # odd multipliers: each permutation is a bijection


def test_batches_larger_than_one_array_pass_give_the_same_rows(monkeypatch) -> None:
    texts = _texts(60, seed=9)
    whole = signatures(texts)
    monkeypatch.setattr(minhash, "_BATCH_SHINGLES", 37)  # many array passes per batch
    assert (signatures(texts) == whole).all()
    monkeypatch.setattr(minhash, "_BATCH_BYTES", 100)  # many batches
    assert (signatures(iter(texts)) == whole).all()


def test_empty_text_has_the_empty_signature() -> None:
    sig = signatures(["", "!!"], num_perm=8)
    assert (sig == np.uint32(0xFFFFFFFF)).all()
    assert signatures([]).shape == (0, 128)
    assert MinHash(num_perm=8).hashvalues.tolist() == sig[0].tolist()


def test_datasketch_lsh_indexes_our_signatures() -> None:
    base = " ".join(random.Random(1).choices(VOCAB, k=80))
    near = base.replace(base.split()[40], "different", 1)
    other = " ".join(random.Random(2).choices(VOCAB, k=80))
    sigs = signatures([base, near, other])
    lsh = MinHashLSH(threshold=0.5, num_perm=sigs.shape[1])
    lsh.insert("base", lean(sigs[0]))
    lsh.insert("other", lean(sigs[2]))
    query = MinHash(hashfunc=shingle_hash)  # a datasketch MinHash built the plain way
    query.update_batch(list(shingles(near)))
    assert lsh.query(query) == ["base"]


def test_near_copy_clusters_are_confirmed_and_deterministic() -> None:
    rng = random.Random(5)
    originals = [" ".join(rng.choices(VOCAB, k=100)) for _ in range(4)]
    copies = [t.replace(t.split()[50], "edited", 1) for t in originals[:2]]
    texts = [originals[0], originals[1], copies[0], originals[2], copies[1], originals[3], ""]
    ids = ["a", "b", "a2", "c", "b2", "d", "empty"]
    sigs = signatures(texts)
    assert near_copy_clusters(ids, sigs, threshold=0.7) == [["a", "a2"], ["b", "b2"]]
    shuffled = [4, 2, 0, 1, 3, 5, 6]
    got = near_copy_clusters([ids[i] for i in shuffled], sigs[shuffled], threshold=0.7)
    assert got == [["b2", "b"], ["a2", "a"]]


def test_near_copy_clusters_refuse_bad_arguments() -> None:
    sigs = signatures(["a b c"])
    with pytest.raises(ValueError, match="differ in length"):
        near_copy_clusters(["x", "y"], sigs, threshold=0.5)
    with pytest.raises(ValueError, match="threshold"):
        near_copy_clusters(["x"], sigs, threshold=0.0)
    with pytest.raises(ValueError, match="positive"):
        signatures(["x"], num_perm=0)


def _pool_with_copies(seed: int) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """300 pooled texts and 120 new ones: every fourth new text a near copy (one word
    edited) of a pooled text or of a new text before it; two new texts are empty."""
    rng = random.Random(seed)
    pool = [" ".join(rng.choices(VOCAB, k=rng.randint(100, 150))) for _ in range(300)]
    new: list[str] = []
    expected: dict[int, int] = {}
    for i in range(120):
        if i % 4 == 3:
            src = rng.randrange(300 + i)
            text = pool[src] if src < 300 else new[src - 300]
            if not text:
                src, text = 0, pool[0]
            words = text.split()
            words[len(words) // 2] = "edited"
            new.append(" ".join(words))
            expected[300 + i] = src
        elif i in (10, 50):
            new.append("")
        else:
            new.append(" ".join(rng.choices(VOCAB, k=rng.randint(100, 150))))
    return signatures(pool), signatures(new), expected


def test_earlier_near_copies_agree_directly_and_through_bands(monkeypatch) -> None:
    pool, new, expected = _pool_with_copies(7)
    direct = minhash.earlier_near_copies(pool, new, threshold=0.7)
    monkeypatch.setattr(minhash, "_BRUTE_CELLS", 0)  # force the LSH path
    index = minhash.BandIndex()
    index.add(minhash.band_keys(pool[:100]))  # an index kept from earlier, brought level
    banded = minhash.earlier_near_copies(pool, new, threshold=0.7, index=index)
    assert index.n == len(pool)
    for a, b in zip(direct, banded, strict=True):
        assert np.array_equal(a, b)
    rows, earliest, sim = direct
    # every planted copy found, matched to its source or to an earlier copy of the same text
    assert set(expected) <= set(rows.tolist())
    for r, e, s in zip(rows.tolist(), earliest.tolist(), sim.tolist(), strict=True):
        assert e < r and s >= 0.7
        all_sigs = np.concatenate([pool, new])
        assert np.mean(all_sigs[r] == all_sigs[e]) == s
        if r in expected:
            assert e <= expected[r]  # the earliest match, never a later one
    assert 310 not in rows and 350 not in rows  # empty texts are never near copies


def test_a_band_index_grown_in_many_runs_finds_what_one_run_finds(monkeypatch) -> None:
    pool, new, _ = _pool_with_copies(5)
    keys, query = minhash.band_keys(pool), minhash.band_keys(new)
    whole = minhash.BandIndex()
    whole.add(keys)
    monkeypatch.setattr(minhash, "_MERGED_MAX", 16)  # many runs left unmerged
    pieces = minhash.BandIndex()
    for i in range(0, len(pool), 7):
        pieces.add(keys[i : i + 7])
    assert pieces.n == whole.n == len(pool) and len(pieces.runs) > 2
    assert all(r.shape == (minhash.BANDS, r.shape[1]) for r in pieces.runs)
    assert sum(r.shape[1] for r in pieces.runs) == len(pool)
    for a, b in zip(whole.pairs(query), pieces.pairs(query), strict=True):
        assert np.array_equal(a, b)
    assert len(whole.pairs(query)[0]) > 0


def test_a_band_index_takes_the_earliest_rows_of_a_key_across_runs() -> None:
    one = minhash.band_keys(signatures(["the same text registered fifty times over"]))
    index = minhash.BandIndex()
    for _ in range(0, 50, 3):
        index.add(np.repeat(one, 3, axis=0))
    new_rows, held = index.pairs(one, max_run=5)
    assert new_rows.tolist() == [0] * 5 and held.tolist() == [0, 1, 2, 3, 4]


def test_a_later_candidate_is_found_when_the_earliest_is_not_near(monkeypatch) -> None:
    """The bands' first round tries each row's earliest candidate alone; a row whose earliest
    candidate shares only a band with it still finds the later row that is near."""
    rng = np.random.default_rng(4)
    pool = rng.integers(0, 2**32 - 1, size=(40, minhash.NUM_PERM), dtype=np.uint32)
    new = rng.integers(0, 2**32 - 1, size=(3, minhash.NUM_PERM), dtype=np.uint32)
    width = minhash.NUM_PERM // minhash.BANDS
    pool[5, :width] = new[0, :width]  # shares one band with new row 0: a candidate, not near
    pool[30] = new[0]
    pool[30, -4:] += 1  # near new row 0 (124 of 128 slots)
    new[2] = new[1]  # a copy of the row before it, inside the batch
    new[2, :2] += 1
    pool[9, width : 2 * width] = new[2, width : 2 * width]  # an earlier, far candidate of row 2
    direct = minhash.earlier_near_copies(pool, new, threshold=0.9)
    monkeypatch.setattr(minhash, "_BRUTE_CELLS", 0)
    banded = minhash.earlier_near_copies(pool, new, threshold=0.9)
    for x, y in zip(direct, banded, strict=True):
        assert np.array_equal(x, y)
    rows, earliest, sim = banded
    assert rows.tolist() == [40, 42] and earliest.tolist() == [30, 41]
    assert sim.tolist() == [124 / 128, 126 / 128]


def test_earlier_near_copies_match_the_clusters_valuation_finds() -> None:
    pool, new, _ = _pool_with_copies(11)
    sigs = np.concatenate([pool, new])
    groups = near_copy_clusters(list(range(len(sigs))), sigs, threshold=0.7)
    firsts = {m: g[0] for g in groups for m in g[1:] if m >= len(pool)}
    rows, earliest, _ = minhash.earlier_near_copies(pool, new, threshold=0.7)
    assert dict(zip(rows.tolist(), earliest.tolist(), strict=True)).keys() == firsts.keys()


def test_band_keys_refuse_bands_that_do_not_divide() -> None:
    with pytest.raises(ValueError, match="bands"):
        minhash.band_keys(signatures(["a b c"]), bands=3)
    with pytest.raises(ValueError, match="threshold"):
        minhash.earlier_near_copies(signatures(["a"]), signatures(["b"]), threshold=0)
