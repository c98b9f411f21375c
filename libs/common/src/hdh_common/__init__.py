"""Shared building blocks of the Health Data Hub services. Nothing here knows a service's domain."""
