import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses
from linkage.dependencies import Reader, StoreDep
from linkage.extracts import schemas, service

router = APIRouter(prefix="/linkage/extracts", tags=["extracts"])


@router.get(
    "",
    response_model=list[schemas.ExtractFile],
    summary="A project's extract files",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def list_extracts(
    project: Annotated[uuid.UUID, Query(description="Project id.")],
    session: SessionDep,
    principal: Reader,
) -> list[schemas.ExtractFile]:
    files = await service.list_files(session, principal, project)
    return [schemas.ExtractFile.model_validate(f) for f in files]


@router.get(
    "/{file_id}/download",
    response_class=StreamingResponse,
    summary="Download an extract file (Parquet)",
    responses={
        200: {"content": {"application/vnd.apache.parquet": {}}},
        **problem_responses(Unauthorized, Forbidden, NotFound),
    },
)
async def download_extract(
    file_id: uuid.UUID, session: SessionDep, principal: Reader, store: StoreDep
) -> StreamingResponse:
    found = await service.open_for_download(session, principal, file_id)
    return StreamingResponse(
        store.get(service.PROJECTS, found.object_key),
        media_type="application/vnd.apache.parquet",
        headers={
            "Content-Disposition": f'attachment; filename="{found.dataset_id}.parquet"',
            "X-Checksum-SHA256": found.sha256,
        },
    )
