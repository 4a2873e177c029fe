"""The valuation methods, one module each, looked up by name.

``METHODS`` is the one list of names (``syndic value run --method`` offers it); a method's
module, and with it scikit-learn or scipy, loads the first time the method is asked for. Each
module defines ``METHOD``, a ``Method`` (see ``base.py``). A new method is a module here and a
line below."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from syndic.errors import ValuationError

if TYPE_CHECKING:
    from syndic.valuation.methods.base import Method

# name -> module under syndic.valuation.methods
METHODS: dict[str, str] = {
    "knn-shapley": "knn_shapley",
    "tmc-shapley": "tmc",
    "banzhaf": "banzhaf",
    "beta-shapley": "beta",
    "loo": "loo",
}


def method(name: str) -> Method:
    """The registered method called ``name``."""
    module = METHODS.get(name)
    if module is None:
        raise ValuationError(f"unknown method {name!r}; use one of: {', '.join(METHODS)}")
    found: Method = importlib.import_module(f"{__name__}.{module}").METHOD
    return found
