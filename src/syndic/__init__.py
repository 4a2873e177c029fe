"""Syndic: a self-hostable trusted data intermediary."""

__version__ = "0.1.0"
