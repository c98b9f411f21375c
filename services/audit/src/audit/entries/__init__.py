"""Audit entries: appending, reading, searching."""
