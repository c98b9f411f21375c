from fastapi import FastAPI

from access.catalog_refs.consumers import catalog_subscription
from access.config import Settings
from access.db import SCHEMA, outbox
from access.documents.router import router as documents_router
from access.grants.consumers import linkage_subscription
from access.grants.router import router as grants_router
from access.notifications.consumers import notifications_subscription
from access.notifications.router import contact_router
from access.notifications.router import router as notifications_router
from access.projects.router import router as projects_router
from access.register.consumers import workspace_subscription
from access.register.router import router as register_router
from access.requests.router import router as requests_router
from access.requests.router import stats_router
from access.reviews.router import router as reviews_router
from access.state import resources
from access.workflow.router import router as workflow_router
from access.workflow.router import table_router as workflow_table_router
from hdh_common.app import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — access requests",
    description="Projects, access requests and their workflow, grants, the public register.",
    version="0.1.0",
    outbox=outbox,
    routers=[
        projects_router,
        requests_router,
        stats_router,
        workflow_router,
        workflow_table_router,
        reviews_router,
        documents_router,
        grants_router,
        register_router,
        notifications_router,
        contact_router,
    ],
    subscriptions=[
        catalog_subscription,
        linkage_subscription,
        workspace_subscription,
        notifications_subscription,
    ],
    resources=resources,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
