"""Detection: a near-duplicate index of members' works, scans of others' datasets, canaries.

``minhash`` computes datasketch-compatible MinHash signatures of texts in batches.
"""

NEAR_COPY_THRESHOLD = 0.7
"""Estimated Jaccard similarity of word 5-shingles at which two works of the pool are near
copies (one word dropped in 50 gives about 0.83): registration flags them, and valuation
counts them once (its ``near_copy_threshold`` defaults to this). Here, free of numpy, so
every layer can read it."""
