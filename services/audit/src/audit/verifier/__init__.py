"""The offline verifier."""
