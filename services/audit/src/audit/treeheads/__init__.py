"""Signed tree heads and the keys that sign them."""
