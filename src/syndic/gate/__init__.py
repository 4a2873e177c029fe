"""The crawler gate: classify each request, then license, charge, challenge or refuse it."""
