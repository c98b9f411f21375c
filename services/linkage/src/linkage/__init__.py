"""The linkage service."""
