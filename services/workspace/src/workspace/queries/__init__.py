"""Governed aggregate queries: a structured request compiled to DuckDB SQL over a project's
Parquet, run in a sandboxed connection, and released only after disclosure control."""
