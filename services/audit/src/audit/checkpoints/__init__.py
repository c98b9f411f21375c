"""C2SP checkpoints of the log, its note key, and the witnesses that cosign them."""
