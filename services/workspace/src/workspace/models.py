"""Every mapped class, imported so the metadata is complete (migrations, tests)."""

from workspace.sessions.models import NotebookSession
from workspace.spaces.models import ProjectTable, Space, SpaceGrant

__all__ = ["NotebookSession", "ProjectTable", "Space", "SpaceGrant"]
