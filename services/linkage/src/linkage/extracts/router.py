import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    problem_responses,
)
from hdh_common.service_client import ServiceClientDep
from hdh_common.storage import StoreDep
from linkage.dependencies import Reader
from linkage.extracts import schemas, service

router = APIRouter(prefix="/linkage/extracts", tags=["extracts"])


@router.get(
    "",
    response_model=list[schemas.ExtractFile],
    summary="A project's extract files",
    responses=problem_responses(Unauthorized, Forbidden, ServiceUnavailable),
)
async def list_extracts(
    project: Annotated[uuid.UUID, Query(description="Project id.")],
    session: SessionDep,
    principal: Reader,
    access: ServiceClientDep,
) -> list[schemas.ExtractFile]:
    files = await service.list_files(session, access, principal, project)
    return [schemas.ExtractFile.model_validate(f) for f in files]


@router.get(
    "/{file_id}/download",
    response_class=StreamingResponse,
    summary="Download an extract file (Parquet)",
    responses={
        200: {"content": {"application/vnd.apache.parquet": {}}},
        **problem_responses(Unauthorized, Forbidden, NotFound, ServiceUnavailable),
    },
)
async def download_extract(
    file_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    store: StoreDep,
    access: ServiceClientDep,
) -> StreamingResponse:
    found = await service.open_for_download(session, access, principal, file_id)
    return StreamingResponse(
        store.get(service.PROJECTS, found.object_key),
        media_type="application/vnd.apache.parquet",
        headers={
            "Content-Disposition": f'attachment; filename="{found.dataset_id}.parquet"',
            "X-Checksum-SHA256": found.sha256,
        },
    )
