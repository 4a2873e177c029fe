"""The append-only event log: every state change is a leaf."""
