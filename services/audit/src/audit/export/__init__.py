"""Streaming exports of the log."""
