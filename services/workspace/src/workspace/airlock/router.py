import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status
from fastapi.responses import StreamingResponse

from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from hdh_common.identity import HubStaff, OutputChecker, Researcher
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from hdh_common.storage import ObjectStore, StoreDep
from workspace.airlock import schemas, service
from workspace.airlock.errors import (
    AlreadyDecided,
    FigureWithoutTable,
    InvalidOutput,
    NotIndependent,
    OutputNotReleasable,
    OutputNotReleased,
    OutputTooLarge,
    UnsupportedFormat,
)
from workspace.airlock.models import Output
from workspace.analyses.runner import BUCKET
from workspace.dependencies import SettingsDep
from workspace.errors import AccessEnded

router = APIRouter(prefix="/workspace/projects", tags=["airlock"])
checks = APIRouter(prefix="/workspace/checks", tags=["airlock"])
MEMBER_PROBLEMS = (Unauthorized, Forbidden, AccessEnded, NotFound, ServiceUnavailable)
CHECKER_PROBLEMS = (Unauthorized, Forbidden, NotIndependent, NotFound)
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media_type: {} for media_type in service.MEDIA_TYPES.values()}}
}


def _file(store: ObjectStore, bucket: str, key: str, output: Output) -> StreamingResponse:
    filename = f"{output.name}-v{output.version}.{output.format}"
    return StreamingResponse(
        store.get(bucket, key),
        media_type=service.MEDIA_TYPES[output.format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Checksum-SHA256": output.sha256,
        },
    )


@router.post(
    "/{project_id}/outputs",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Output,
    summary="Save an analysis's result table as an output (a new version of its name)",
    responses=problem_responses(*MEMBER_PROBLEMS, InvalidOutput, ValidationFailed),
)
async def save_from_analysis(
    project_id: uuid.UUID,
    body: Annotated[schemas.OutputFromAnalysis, Body()],
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    store: StoreDep,
    settings: SettingsDep,
) -> schemas.Output:
    return await service.save_from_analysis(
        session, access, store, settings, principal, project_id, body
    )


@router.post(
    "/{project_id}/outputs/files",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Output,
    summary="Save a file made in the space: a table (CSV, Parquet), a figure (PNG) or a report"
    " (PDF) with the table it shows",
    description="The raw bytes of the file in the body.",
    responses=problem_responses(
        *MEMBER_PROBLEMS, UnsupportedFormat, InvalidOutput, OutputTooLarge, FigureWithoutTable
    ),
)
async def save_file(
    project_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    store: StoreDep,
    settings: SettingsDep,
    name: Annotated[str, Query(pattern=schemas.NAME)],
    format: Annotated[str, Query(description="csv, parquet, png or pdf.")],
    table_id: Annotated[uuid.UUID | None, Query(description="A figure's table output.")] = None,
    persons_column: Annotated[str | None, Query(max_length=255)] = None,
) -> schemas.Output:
    return await service.save_upload(
        session,
        access,
        store,
        settings,
        principal,
        project_id,
        request.stream(),
        name=name,
        format_=format,
        table_id=table_id,
        persons_column=persons_column,
    )


@router.get(
    "/{project_id}/outputs",
    response_model=Page[schemas.Output],
    summary="The project's outputs, newest first",
    responses=problem_responses(*MEMBER_PROBLEMS, InvalidCursor),
)
async def list_outputs(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Output]:
    return await service.outputs(session, access, principal, project_id, cursor=cursor, limit=limit)


@router.get(
    "/{project_id}/outputs/{output_id}/download",
    response_class=StreamingResponse,
    summary="A released output, for the project's members",
    responses={**FILE_RESPONSES, **problem_responses(*MEMBER_PROBLEMS, OutputNotReleased)},
)
async def download_output(
    project_id: uuid.UUID,
    output_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    store: StoreDep,
) -> StreamingResponse:
    output = await service.released_file(session, access, principal, project_id, output_id)
    return _file(store, service.OUTPUTS, service.released_key(output), output)


@router.post(
    "/{project_id}/release-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ReleaseRequest,
    summary="Ask for outputs to be released: checked automatically, then by two checkers",
    responses=problem_responses(
        *MEMBER_PROBLEMS, OutputNotReleasable, FigureWithoutTable, ValidationFailed
    ),
)
async def request_release(
    project_id: uuid.UUID,
    body: Annotated[schemas.ReleaseRequestIn, Body()],
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    store: StoreDep,
    settings: SettingsDep,
) -> schemas.ReleaseRequest:
    return await service.request_release(
        session, access, store, settings, principal, project_id, body
    )


@router.get(
    "/{project_id}/release-requests",
    response_model=Page[schemas.ReleaseRequest],
    summary="The project's release requests, newest first",
    responses=problem_responses(*MEMBER_PROBLEMS, InvalidCursor),
)
async def list_requests(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.ReleaseRequest]:
    return await service.requests(
        session, access, principal, project_id, cursor=cursor, limit=limit
    )


@router.get(
    "/{project_id}/release-requests/{request_id}",
    response_model=schemas.ReleaseRequest,
    summary="A release request: its checks, and each output's outcome with the reasons",
    responses=problem_responses(*MEMBER_PROBLEMS),
)
async def get_request(
    project_id: uuid.UUID,
    request_id: uuid.UUID,
    session: SessionDep,
    principal: Researcher,
    access: ServiceClientDep,
) -> schemas.ReleaseRequest:
    return await service.request_detail(session, access, principal, project_id, request_id)


@checks.get(
    "",
    response_model=Page[schemas.ReleaseRequest],
    summary="The checker's queue: requests they may decide, the soonest due first",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def queue(
    session: SessionDep,
    principal: OutputChecker,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.ReleaseRequest]:
    return await service.queue(session, principal, cursor=cursor, limit=limit)


@checks.get(
    "/overdue",
    response_model=Page[schemas.ReleaseRequest],
    summary="Requests past their due day (hub staff)",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def overdue(
    session: SessionDep,
    principal: HubStaff,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.ReleaseRequest]:
    return await service.overdue(session, cursor=cursor, limit=limit)


@checks.get(
    "/{request_id}",
    response_model=schemas.ReleaseRequest,
    summary="A request to check: its outputs and their automatic checks",
    responses=problem_responses(*CHECKER_PROBLEMS),
)
async def check(
    request_id: uuid.UUID, session: SessionDep, principal: OutputChecker
) -> schemas.ReleaseRequest:
    return await service.check_detail(session, principal, request_id)


@checks.get(
    "/{request_id}/outputs/{output_id}",
    response_class=StreamingResponse,
    summary="An output to check, seen in the platform (never the rows behind it)",
    responses={**FILE_RESPONSES, **problem_responses(*CHECKER_PROBLEMS)},
)
async def checked_output(
    request_id: uuid.UUID,
    output_id: uuid.UUID,
    session: SessionDep,
    principal: OutputChecker,
    store: StoreDep,
) -> StreamingResponse:
    output = await service.checked_output(session, principal, request_id, output_id)
    return _file(store, BUCKET, output.object_key, output)


@checks.post(
    "/{request_id}/outputs/{output_id}/reviews",
    response_model=schemas.ReleaseRequest,
    summary="Approve or reject one output, with a comment",
    responses=problem_responses(*CHECKER_PROBLEMS, AlreadyDecided, ValidationFailed),
)
async def review(
    request_id: uuid.UUID,
    output_id: uuid.UUID,
    body: Annotated[schemas.ReviewIn, Body()],
    session: SessionDep,
    principal: OutputChecker,
    store: StoreDep,
) -> schemas.ReleaseRequest:
    return await service.decide(session, store, principal, request_id, output_id, body)
