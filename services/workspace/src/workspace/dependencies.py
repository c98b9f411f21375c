"""Typed access to what the lifespan built, and the workspace's role combinations."""

from typing import Annotated

from fastapi import Depends, Request

from hdh_common.identity import Principal, Role, require_roles
from hdh_common.state import service_state
from workspace.config import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = service_state(request).settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
Reader = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF, Role.RESEARCHER))]
