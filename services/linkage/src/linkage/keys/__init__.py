"""Pseudonym domains and their keys, stored encrypted under the master key."""
