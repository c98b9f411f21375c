from fastapi import FastAPI

from hdh_common.app import ServiceDefinition, create_service_app
from linkage.config import Settings
from linkage.db import SCHEMA, outbox

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — pseudonymisation and linkage",
    description="Pseudonym domains and keys, pseudonymisation and linkage jobs, project extracts.",
    version="0.1.0",
    outbox=outbox,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
