"""Bargaining: what the pool as a whole is worth to a builder who has other data.

A leverage run (``service.py``) measures learning curves for three arms (outside data only,
outside plus the pool, the pool alone), fits saturating power laws (``scaling.py``), reads off
the data strike and the equivalent outside data (``engine.py``), leaves the largest members and
fields out one at a time, and puts a price range on it (``price.py``); ``assess.py`` places a
deal's latest offer in that range. See docs/bargaining.md.
"""
