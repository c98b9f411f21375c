from fastapi import FastAPI

from catalog import datasets
from catalog.config import Settings
from catalog.db import SCHEMA, outbox
from hdh_common.app import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — catalogue",
    description="Datasets of the hub and their metadata.",
    version="0.1.0",
    outbox=outbox,
    routers=[datasets.router],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
