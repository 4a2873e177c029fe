"""Detection: a near-duplicate index of members' works, scans of others' datasets, canaries.

``minhash`` computes datasketch-compatible MinHash signatures of texts in batches.
"""
