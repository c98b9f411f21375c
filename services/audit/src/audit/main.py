from fastapi import FastAPI

from audit.config import Settings
from audit.db import SCHEMA, outbox
from hdh_common.app import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — audit log",
    description="The append-only, tamper-evident audit log.",
    version="0.1.0",
    outbox=outbox,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
