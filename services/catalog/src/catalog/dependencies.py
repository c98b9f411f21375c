"""Typed access to what the lifespan built, and the catalogue's role combinations."""

from typing import Annotated

from fastapi import Depends, Request

from catalog.config import Settings
from hdh_common.identity import Principal, Role, require_roles
from hdh_common.state import service_state


def _settings(request: Request) -> Settings:
    settings: Settings = service_state(request).settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
Registrar = Annotated[Principal, Depends(require_roles(Role.PRODUCER, Role.HUB_STAFF))]
"""Who may register datasets and import their metadata."""
