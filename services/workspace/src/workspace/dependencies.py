"""Typed access to what the lifespan built, and the workspace's role combinations."""

from typing import Annotated, cast

from fastapi import Depends, Request

from hdh_common.identity import Principal, Role, require_roles
from hdh_common.state import service_state
from workspace.analyses.runner import AnalysisRunner
from workspace.config import Settings
from workspace.state import WorkspaceState


def workspace_state(request: Request) -> WorkspaceState:
    return cast(WorkspaceState, service_state(request))


def _settings(request: Request) -> Settings:
    return workspace_state(request).settings


def _runner(request: Request) -> AnalysisRunner:
    return workspace_state(request).analysis_runner


SettingsDep = Annotated[Settings, Depends(_settings)]
RunnerDep = Annotated[AnalysisRunner, Depends(_runner)]
Reader = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF, Role.RESEARCHER))]
