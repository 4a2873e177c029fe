"""Access: licensed delivery marked per licensee, leak tracing, canaries, usage reports."""
