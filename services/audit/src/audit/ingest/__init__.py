"""Ingestion of every hdh.* topic."""
