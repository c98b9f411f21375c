"""The legal clock: French business days."""
