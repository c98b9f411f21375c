"""Every mapped class, imported so the metadata is complete (migrations, tests)."""

from workspace.spaces.models import ProjectTable, Space, SpaceGrant

__all__ = ["ProjectTable", "Space", "SpaceGrant"]
