from fastapi import FastAPI

from access.catalog_refs.consumers import catalog_subscription
from access.config import Settings
from access.db import SCHEMA, outbox
from hdh_common.app import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — access requests",
    description="Projects, access requests and their workflow, grants, the public register.",
    version="0.1.0",
    outbox=outbox,
    subscriptions=[catalog_subscription],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
