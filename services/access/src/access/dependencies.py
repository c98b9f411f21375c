"""Typed access to what the lifespan built, and the access service's role combinations."""

from typing import Annotated

from fastapi import Depends, Request

from access.config import Settings
from hdh_common.identity import Principal, Role, require_roles
from hdh_common.state import service_state


def _settings(request: Request) -> Settings:
    settings: Settings = service_state(request).settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
Sweeper = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF, Role.SYSTEM))]
Reviewer = Annotated[
    Principal,
    Depends(require_roles(Role.HUB_STAFF, Role.COMMITTEE_MEMBER, Role.REGULATOR)),
]
