"""Voting methods: pure functions from ballots to an ``Outcome``, no database, no clock."""
