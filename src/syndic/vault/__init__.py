"""Content-addressed blob store."""

from syndic.vault.digest import Digest
from syndic.vault.store import FileVault, VaultReport

__all__ = ["Digest", "FileVault", "VaultReport"]
