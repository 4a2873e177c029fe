"""Truncated Monte-Carlo Shapley (Ghorbani and Zou 2019)."""

from __future__ import annotations

from syndic.valuation.methods.sampled import Sampled
from syndic.valuation.montecarlo import TMCShapley

METHOD = Sampled(TMCShapley, "tmc-shapley")
