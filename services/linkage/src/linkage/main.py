from fastapi import FastAPI

from hdh_common.app import ServiceDefinition, create_service_app
from linkage import state
from linkage.config import Settings
from linkage.consumers import subscriptions
from linkage.db import SCHEMA, outbox
from linkage.extracts.router import router as extracts_router
from linkage.jobs.router import router as jobs_router
from linkage.keys.router import router as keys_router
from linkage.objections.router import router as objections_router
from linkage.project_data.router import router as project_data_router
from linkage.pseudonyms.hmac import kernel_name
from linkage.requested.router import router as links_router

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — pseudonymisation and linkage",
    description=(
        "Pseudonym domains and keys, pseudonymisation and linkage jobs, project extracts."
    ),
    version="0.1.0",
    outbox=outbox,
    routers=(
        jobs_router,
        keys_router,
        extracts_router,
        links_router,
        objections_router,
        project_data_router,
    ),
    subscriptions=subscriptions,
    resources=state.resources,
    components=lambda: {"hmac_kernel": kernel_name()},
    openapi_tags=[
        {"name": "jobs", "description": "Pseudonymisation and linkage jobs, reports."},
        {"name": "domains", "description": "Pseudonym domains and key versions."},
        {"name": "extracts", "description": "Project extracts for granted researchers."},
        {"name": "objections", "description": "Persons excluded from extracts."},
        {"name": "project data", "description": "Projects' own data, loaded into their space."},
    ],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
