"""Typed access to what the lifespan built."""

from typing import Annotated

from fastapi import Depends, Request

from hdh_common.identity import Principal, Role, require_roles
from hdh_common.storage import ObjectStore
from linkage.jobs.runner import JobRunner
from linkage.keys.crypto import MasterKey


def _master_key(request: Request) -> MasterKey:
    master: MasterKey = request.state.master_key
    return master


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.state.job_runner
    return runner


def _store(request: Request) -> ObjectStore:
    store: ObjectStore = request.state.object_store
    return store


MasterKeyDep = Annotated[MasterKey, Depends(_master_key)]
RunnerDep = Annotated[JobRunner, Depends(_runner)]
StoreDep = Annotated[ObjectStore, Depends(_store)]
HubStaff = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF))]
Reader = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF, Role.RESEARCHER))]
