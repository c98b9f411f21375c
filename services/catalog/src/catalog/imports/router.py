import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from catalog.datasets import service as datasets
from catalog.datasets.dependencies import ensure_can_write
from catalog.datasets.visibility import Visibility
from catalog.dependencies import Registrar
from catalog.errors import InvalidTableSchema
from catalog.imports import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses

router = APIRouter(prefix="/catalog/import", tags=["import"])
Document = Annotated[
    dict[str, Any],
    Body(description="A Frictionless Table Schema, or a Data Package whose resources have one."),
]


@router.post(
    "/table-schema",
    response_model=schemas.ImportReport,
    summary="Import a Table Schema or Data Package",
    description=(
        "A Data Package replaces the dataset's whole dictionary; a Table Schema adds or "
        "replaces one table. Resources whose fields carry `role: code` are nomenclatures "
        "(hub staff only), with their code list as inline `data`. Idempotent: the report "
        "says what changed."
    ),
    responses=problem_responses(InvalidTableSchema, Unauthorized, Forbidden, NotFound),
)
async def import_table_schema(
    document: Document,
    session: SessionDep,
    principal: Registrar,
    dataset_id: Annotated[uuid.UUID | None, Query(description="Target dataset.")] = None,
) -> schemas.ImportReport:
    seen = Visibility.of(principal)
    dataset = await datasets.get(session, dataset_id, visibility=seen) if dataset_id else None
    if dataset is not None:
        ensure_can_write(principal, dataset)
    return await service.import_document(session, principal, dataset=dataset, document=document)
