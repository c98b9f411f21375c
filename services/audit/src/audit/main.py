from fastapi import FastAPI

from audit.checkpoints.router import router as checkpoints_router
from audit.config import Settings
from audit.db import SCHEMA, outbox
from audit.entries.router import router as entries_router
from audit.export.router import router as export_router
from audit.state import resources
from audit.tiles.router import router as tiles_router
from audit.tree.router import router as proofs_router
from audit.treeheads.router import router as treeheads_router
from hdh_common.app import ServiceDefinition, create_service_app

DEFINITION = ServiceDefinition(
    name=SCHEMA,
    title="Health Data Hub — audit log",
    description="The append-only, tamper-evident audit log: an RFC 9162 Merkle tree, "
    "signed tree heads, inclusion and consistency proofs, queries and exports for auditors.",
    version="0.1.0",
    outbox=outbox,
    routers=[
        entries_router,
        proofs_router,
        treeheads_router,
        export_router,
        checkpoints_router,
        tiles_router,
    ],
    resources=resources,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings())
