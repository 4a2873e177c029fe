"""Collective governance: the charter, proposals and ballots, voting methods, delegation."""
