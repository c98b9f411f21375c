"""``hdh-witness``: a c2sp.org/tlog-witness witness that keeps the latest checkpoint per log,
checks every new one is consistent with it, and cosigns (cosignature/v1, Ed25519) only then."""
