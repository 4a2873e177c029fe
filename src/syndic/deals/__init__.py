"""Licensees, offers, member votes, signed agreements and access tokens."""
