import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from catalog.dependencies import SettingsDep
from catalog.errors import ChecksumMismatch, IncompleteUpload, InvalidTableSchema, UploadClosed
from catalog.project_data import schemas, service
from catalog.uploads import schemas as upload_schemas
from catalog.uploads import service as uploads
from catalog.uploads.models import Upload
from catalog.uploads.router import PartNumber, Sha256Header
from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
    problem_responses,
)
from hdh_common.identity import Researcher
from hdh_common.service_client import ServiceClientDep
from hdh_common.storage import StoreDep

router = APIRouter(prefix="/catalog/projects/{project_id}/uploads", tags=["project data"])
_REFUSED = (Unauthorized, Forbidden, NotFound, ServiceUnavailable)


async def _own_upload(
    project_id: uuid.UUID,
    upload_id: uuid.UUID,
    principal: Researcher,
    session: SessionDep,
    access: ServiceClientDep,
) -> Upload:
    return await service.own(session, access, principal, project_id=project_id, upload_id=upload_id)


OwnUpload = Annotated[Upload, Depends(_own_upload)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ProjectUpload,
    summary="Start an upload of the project's own data (a member, under a live grant)",
    description="The file is validated against `table_schema`, then its identifiers are"
    " pseudonymised into the project's domain by the linkage service, and the clear file is"
    " deleted: a NIR becomes the project pseudonym its extracts use, names and other direct"
    " identifiers are dropped, a birth date keeps its year.",
    responses=problem_responses(*_REFUSED, InvalidTableSchema),
)
async def start_upload(
    project_id: uuid.UUID,
    payload: schemas.ProjectUploadCreate,
    principal: Researcher,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    access: ServiceClientDep,
) -> schemas.ProjectUpload:
    upload = await service.start(
        session,
        store,
        settings,
        access,
        principal=principal,
        project_id=project_id,
        payload=payload,
    )
    return schemas.ProjectUpload.model_validate(upload)


@router.get(
    "/{upload_id}",
    response_model=schemas.ProjectUpload,
    summary="Get one's upload of the project's data, its status and report",
    responses=problem_responses(*_REFUSED),
)
async def get_upload(upload: OwnUpload) -> schemas.ProjectUpload:
    return schemas.ProjectUpload.model_validate(upload)


@router.put(
    "/{upload_id}/parts/{number}",
    response_model=upload_schemas.Part,
    summary="Send (or resend) one part",
    responses=problem_responses(*_REFUSED, ChecksumMismatch, UploadClosed, PayloadTooLarge),
)
async def put_part(
    upload: OwnUpload,
    number: PartNumber,
    request: Request,
    sha256: Sha256Header,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> upload_schemas.Part:
    part = await uploads.put_part(
        session,
        store,
        settings,
        upload=uploads.still_open(upload),
        number=number,
        chunks=request.stream(),
        sha256=sha256,
    )
    return upload_schemas.Part.model_validate(part)


@router.post(
    "/{upload_id}/complete",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.ProjectUpload,
    summary="Complete an upload of the project's data: validate it, hand it to pseudonymisation",
    description="Answers 202 with `status` `validated` (the linkage service now loads it into"
    " the project space) or `rejected` (the report says why; nothing is kept).",
    responses=problem_responses(*_REFUSED, UploadClosed, IncompleteUpload),
)
async def complete_upload(
    upload: OwnUpload,
    principal: Researcher,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> schemas.ProjectUpload:
    completed = await service.complete(session, store, settings, principal=principal, upload=upload)
    return schemas.ProjectUpload.model_validate(completed)


@router.delete(
    "/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Abandon an upload of the project's data and drop its parts",
    responses=problem_responses(*_REFUSED, UploadClosed),
)
async def abort_upload(
    upload: OwnUpload, session: SessionDep, store: StoreDep, settings: SettingsDep
) -> None:
    await uploads.abort(session, store, settings, uploads.still_open(upload))
