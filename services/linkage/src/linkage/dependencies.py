"""Typed access to what the lifespan built, and linkage's own role combinations."""

from typing import Annotated, cast

from fastapi import Depends, Request

from hdh_common.identity import Principal, Role, require_roles
from hdh_common.state import service_state
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
