"""Features and the cross-fitting folds: deterministic by seed, refusals, the embedding cache."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from syndic.errors import ValuationError
from syndic.valuation.crossfit import folds
from syndic.valuation.features import EmbeddingCache, tfidf_svd


def _texts(fixture_jsonl: Path) -> list[str]:
    rows = [json.loads(line) for line in fixture_jsonl.read_text().splitlines() if line.strip()]
    return [f"{r['title']}\n\n{r['abstract']}" for r in rows]


def test_tfidf_svd_is_seeded_unit_length_and_streams(fixture_jsonl: Path) -> None:
    texts = _texts(fixture_jsonl)
    a = tfidf_svd(iter(texts), dims=16, seed=3)  # a generator is read once
    b = tfidf_svd(texts, dims=16, seed=3)
    assert a.shape == (240, 16) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0)


def test_tfidf_svd_refuses_what_it_cannot_featurise() -> None:
    with pytest.raises(ValuationError, match="two works"):
        tfidf_svd(["only one text here about physics physics"], dims=4)
    with pytest.raises(ValuationError, match="no usable vocabulary"):
        tfidf_svd(["the and of", "a an the"], dims=4)
    with pytest.raises(ValuationError, match="dims"):
        tfidf_svd(["x y", "y z"], dims=0)


def test_folds_are_seeded_stratified_and_complete() -> None:
    labels = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20, dtype=object)
    fold_of = folds(labels, k=5, seed=0)
    np.testing.assert_array_equal(fold_of, folds(labels, k=5, seed=0))
    assert not np.array_equal(fold_of, folds(labels, k=5, seed=1))
    assert sorted(set(fold_of.tolist())) == [0, 1, 2, 3, 4]
    for f in range(5):  # every fold gets its share of every label
        assert {lab: int((labels[fold_of == f] == lab).sum()) for lab in "abc"} == {
            "a": 10,
            "b": 6,
            "c": 4,
        }
    with pytest.raises(ValuationError, match="at least 2 folds"):
        folds(labels, k=1, seed=0)
    with pytest.raises(ValuationError, match="too few for 5 folds"):
        folds(labels[:9], k=5, seed=0)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_embedding_cache_encodes_each_work_once(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def encoder(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.array([[len(t), t.count("a") + 1.0] for t in texts])

    cache = EmbeddingCache(tmp_path, "fake-model", encoder)
    texts = ["banana", "apple", "cherry"]
    digests = [_digest(t) for t in texts]
    first = cache.embed(digests, texts)
    assert calls == [texts]
    second = cache.embed(digests[::-1], texts[::-1])
    assert calls == [texts]  # everything came from the cache
    np.testing.assert_allclose(second, first[::-1])
    assert len(list((tmp_path / "fake-model").rglob("*.npy"))) == 3
    with pytest.raises(ValuationError, match="not a work digest"):
        cache.embed(["sha256:nothex"], ["x"])


def test_embedding_cache_refuses_a_broken_encoder(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "m", lambda texts: np.full((len(texts), 2), np.nan))
    with pytest.raises(ValuationError, match="NaN"):
        cache.embed([_digest("x")], ["x"])
    short = EmbeddingCache(tmp_path, "n", lambda texts: np.zeros((1, 2)))
    with pytest.raises(ValuationError, match="wrong number"):
        short.embed([_digest("x"), _digest("y")], ["x", "y"])


def test_minilm_says_how_to_install_it_when_missing() -> None:
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        from syndic.valuation.embed import minilm_encoder

        with pytest.raises(ValuationError, match=r"syndic\[embed\]"):
            minilm_encoder()
    else:  # pragma: no cover - only where the extra is installed
        from syndic.valuation.embed import minilm_encoder

        out = minilm_encoder()(["a paper on quasars", "a paper on galaxies"])
        assert out.shape == (2, 384)


def test_the_package_imports_without_the_heavy_extras() -> None:
    import subprocess
    import sys

    code = (
        "import sys, syndic.valuation, syndic.valuation.service, syndic.valuation.engine;"
        "bad = [m for m in ('torch', 'ray', 'sentence_transformers') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
