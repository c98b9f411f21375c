"""Workspace's own role combinations."""

from typing import Annotated

from fastapi import Depends

from hdh_common.identity import Principal, Role, require_roles

Reader = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF, Role.RESEARCHER))]
