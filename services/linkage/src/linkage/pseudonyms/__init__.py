"""Keyed pseudonyms: HMAC-SHA-256 of a normalised value, vectorised over pyarrow arrays."""
