"""Beta Shapley (Kwon and Zou 2022): marginal contributions weighted by coalition size."""

from __future__ import annotations

from syndic.valuation.methods.sampled import Sampled
from syndic.valuation.montecarlo import BetaShapley

METHOD = Sampled(BetaShapley, "beta-shapley")
