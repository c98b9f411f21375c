from fastapi import FastAPI

from catalog import datasets
from catalog.basket.router import router as basket_router
from catalog.config import Settings
from catalog.curation.router import router as curation_router
from catalog.db import SCHEMA, outbox
from catalog.dcat.router import router as dcat_router
from catalog.dictionary.router import router as dictionary_router
from catalog.imports.router import router as imports_router
from catalog.nomenclatures.router import router as nomenclatures_router
from catalog.project_data.router import router as project_data_router
from catalog.search.router import router as search_router
from catalog.state import resources
from catalog.synthetic.router import router as synthetic_router
from catalog.uploads.router import maintenance as uploads_maintenance
from catalog.uploads.router import router as uploads_router
from hdh_common.app import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — catalogue",
    description="Datasets of the hub and their metadata.",
    version="0.1.0",
    outbox=outbox,
    routers=[
        datasets.router,
        curation_router,
        dictionary_router,
        imports_router,
        nomenclatures_router,
        search_router,
        dcat_router,
        synthetic_router,
        uploads_router,
        uploads_maintenance,
        project_data_router,
        basket_router,
    ],
    resources=resources,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
