"""Typed access to what the lifespan built, and linkage's own role combinations."""

from typing import Annotated, cast

from fastapi import Depends, Request

from hdh_common.identity import Principal, PrincipalDep, Role, require_roles, service_principal
from hdh_common.state import service_state
from linkage.errors import RowLevelDataStaysInside
from linkage.jobs.runner import JobRunner
from linkage.keys.crypto import MasterKey
from linkage.state import LinkageState


def linkage_state(request: Request) -> LinkageState:
    return cast(LinkageState, service_state(request))


def _master_key(request: Request) -> MasterKey:
    return linkage_state(request).master_key


def _runner(request: Request) -> JobRunner:
    return linkage_state(request).job_runner


MasterKeyDep = Annotated[MasterKey, Depends(_master_key)]
RunnerDep = Annotated[JobRunner, Depends(_runner)]
Reader = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF, Role.RESEARCHER))]
WORKSPACE = service_principal("workspace").subject


async def _workspace(principal: PrincipalDep) -> Principal:
    """The workspace service's own identity: the one reader of a project's row-level data.
    Gateway tokens never carry ``system``, so no person or partner system passes."""
    if Role.SYSTEM not in principal.roles or principal.subject != WORKSPACE:
        raise RowLevelDataStaysInside(
            "A project's row-level data is read only inside its project space, by the "
            "workspace service; results leave through the workspace's governed outputs."
        )
    return principal


WorkspaceService = Annotated[Principal, Depends(_workspace)]
