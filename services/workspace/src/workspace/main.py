from fastapi import FastAPI

from hdh_common.app import ServiceDefinition, create_service_app
from workspace import state
from workspace.config import Settings
from workspace.consumers import subscriptions
from workspace.db import SCHEMA, outbox
from workspace.sessions.router import router as sessions_router
from workspace.spaces.router import router as spaces_router

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — project space",
    description=(
        "Project spaces: a project's authorised tables stay on the platform and are analysed"
        " there; only safe results leave."
    ),
    version="0.1.0",
    outbox=outbox,
    routers=(spaces_router, sessions_router),
    subscriptions=subscriptions,
    resources=state.resources,
    openapi_tags=[
        {"name": "spaces", "description": "Project spaces and the tables registered in them."},
        {"name": "sessions", "description": "Notebook sessions on the platform's JupyterHub."},
    ],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
