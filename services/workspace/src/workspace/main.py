from fastapi import FastAPI

from hdh_common.app import ServiceDefinition, create_service_app
from workspace import state
from workspace.airlock.router import checks as checks_router
from workspace.airlock.router import router as airlock_router
from workspace.analyses.router import router as analyses_router
from workspace.config import Settings
from workspace.consumers import subscriptions
from workspace.db import SCHEMA, outbox
from workspace.queries.router import router as queries_router
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
    routers=(
        spaces_router,
        queries_router,
        analyses_router,
        sessions_router,
        airlock_router,
        checks_router,
    ),
    subscriptions=subscriptions,
    resources=state.resources,
    openapi_tags=[
        {"name": "spaces", "description": "Project spaces and the tables registered in them."},
        {"name": "queries", "description": "Aggregate queries; only safe cells come out."},
        {"name": "analyses", "description": "Free SQL whose results stay in the space."},
        {
            "name": "airlock",
            "description": "Outputs leave a space only after two independent checkers approve.",
        },
        {"name": "sessions", "description": "Notebook sessions on the platform's JupyterHub."},
    ],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
