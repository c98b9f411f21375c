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
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from hdh_common.storage import StoreDep
from linkage.dependencies import Reader, WorkspaceService
from linkage.errors import RowLevelDataStaysInside
from linkage.extracts import schemas, service

router = APIRouter(prefix="/linkage/extracts", tags=["extracts"])


@router.get(
    "",
    response_model=Page[schemas.ExtractFile],
    summary="A project's extract files, newest first",
    responses=problem_responses(Unauthorized, Forbidden, ServiceUnavailable, InvalidCursor),
)
async def list_extracts(
    project: Annotated[uuid.UUID, Query(description="Project id.")],
    session: SessionDep,
    principal: Reader,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.ExtractFile]:
    return await service.page(
        session, access, principal, project_id=project, cursor=cursor, limit=limit
    )


@router.get(
    "/{file_id}/download",
    response_class=StreamingResponse,
    summary="An extract file (Parquet), for the workspace service only",
    description="Row-level data stays in the project space: only the workspace service's "
    "internal identity reads it; every person and partner system is refused.",
    responses={
        200: {"content": {"application/vnd.apache.parquet": {}}},
        **problem_responses(Unauthorized, Forbidden, RowLevelDataStaysInside, NotFound),
    },
)
async def download_extract(
    file_id: uuid.UUID, session: SessionDep, principal: WorkspaceService, store: StoreDep
) -> StreamingResponse:
    found = await service.open_for_workspace(session, principal, file_id)
    return StreamingResponse(
        store.get(service.PROJECTS, found.object_key),
        media_type="application/vnd.apache.parquet",
        headers={
            "Content-Disposition": f'attachment; filename="{found.dataset_id}.parquet"',
            "X-Checksum-SHA256": found.sha256,
        },
    )
