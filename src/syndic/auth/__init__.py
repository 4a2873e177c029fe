"""API keys and the roles they carry (steward, member, licensee)."""
