"""Data Banzhaf (Wang and Jia 2023), by maximum sample reuse."""

from __future__ import annotations

from syndic.valuation.banzhaf import Banzhaf
from syndic.valuation.methods.sampled import Sampled

METHOD = Sampled(Banzhaf, "banzhaf")
