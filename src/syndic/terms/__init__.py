"""Licence terms and the machine-readable formats that publish them."""
