"""Beta Shapley (Kwon and Zou 2022): marginal contributions weighted by coalition size."""

from __future__ import annotations

from syndic.valuation.methods.sampled import Sampled
from syndic.valuation.montecarlo import BetaShapley

# estimators 2: the first three positions by strata; 1: plain permutation sampling
METHOD = Sampled(BetaShapley, "beta-shapley", lambda p: {"head": 3 if p.estimators >= 2 else 0})
