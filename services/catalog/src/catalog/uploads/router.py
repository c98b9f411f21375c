import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, status

from catalog.datasets.dependencies import DatasetFromPath, WritableDataset
from catalog.dependencies import SettingsDep
from catalog.errors import ChecksumMismatch, IncompleteUpload, UploadClosed
from catalog.uploads import schemas, service
from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    problem_responses,
)
from hdh_common.identity import HubStaff, PrincipalDep
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.storage import StoreDep

router = APIRouter(prefix="/catalog/datasets/{dataset_id}", tags=["uploads"])
maintenance = APIRouter(prefix="/catalog/uploads", tags=["uploads"])
Sha256Header = Annotated[
    str, Header(alias="X-Part-SHA256", pattern=schemas.SHA256, description="SHA-256 of the part.")
]
PartNumber = Annotated[int, Path(ge=1, le=10_000)]
_WRITE = problem_responses(Unauthorized, Forbidden, NotFound)


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Upload,
    summary="Start an upload for a table",
    responses=_WRITE,
)
async def start_upload(
    payload: schemas.UploadCreate,
    dataset: WritableDataset,
    principal: PrincipalDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> schemas.Upload:
    upload = await service.start(
        session, store, settings, principal=principal, dataset=dataset, payload=payload
    )
    return schemas.Upload.model_validate(upload)


@router.get(
    "/uploads/{upload_id}", response_model=schemas.Upload, summary="Get an upload", responses=_WRITE
)
async def get_upload(
    upload_id: uuid.UUID, dataset: WritableDataset, session: SessionDep
) -> schemas.Upload:
    return schemas.Upload.model_validate(await service.get(session, dataset, upload_id))


@router.put(
    "/uploads/{upload_id}/parts/{number}",
    response_model=schemas.Part,
    summary="Send (or resend) one part",
    description="The raw bytes of the part; `X-Part-SHA256` is checked before it is kept.",
    responses=problem_responses(
        Unauthorized, Forbidden, NotFound, ChecksumMismatch, UploadClosed, PayloadTooLarge
    ),
)
async def put_part(
    upload_id: uuid.UUID,
    number: PartNumber,
    request: Request,
    sha256: Sha256Header,
    dataset: WritableDataset,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> schemas.Part:
    upload = await service.get_open(session, dataset, upload_id)
    part = await service.put_part(
        session,
        store,
        settings,
        upload=upload,
        number=number,
        chunks=request.stream(),
        sha256=sha256,
    )
    return schemas.Part.model_validate(part)


@router.get(
    "/uploads/{upload_id}/parts",
    response_model=Page[schemas.Part],
    summary="List the parts received",
    responses={**_WRITE, **problem_responses(InvalidCursor)},
)
async def list_parts(
    upload_id: uuid.UUID,
    dataset: WritableDataset,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Part]:
    upload = await service.get(session, dataset, upload_id)
    return await service.parts_page(session, upload, cursor=cursor, limit=limit)


@router.post(
    "/uploads/{upload_id}/complete",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Version,
    summary="Complete an upload: validate, convert to Parquet, record a version",
    description="Answers 202 with the version and its `status`: `validated` (its Parquet now"
    " waits for pseudonymisation) or `rejected` (the report says why). The table's foreign keys"
    " are looked up in its own rows and in the latest validated version of each table they"
    " reference (`foreign-key` errors, rule `reference:<table>`); a table with no validated"
    " version yet is one error: send the referenced tables first.",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, UploadClosed, IncompleteUpload),
)
async def complete_upload(
    upload_id: uuid.UUID,
    dataset: WritableDataset,
    principal: PrincipalDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> schemas.Version:
    upload = await service.get_open(session, dataset, upload_id)
    version = await service.complete(
        session, store, settings, principal=principal, dataset=dataset, upload=upload
    )
    return schemas.Version.model_validate(version)


@router.delete(
    "/uploads/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Abandon an upload and drop its parts",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, UploadClosed),
)
async def abort_upload(
    upload_id: uuid.UUID,
    dataset: WritableDataset,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> None:
    upload = await service.get_open(session, dataset, upload_id)
    await service.abort(session, store, settings, upload)


@router.get(
    "/versions",
    response_model=Page[schemas.Version],
    summary="List the dataset's versions",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_versions(
    dataset: DatasetFromPath,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Version]:
    return await service.versions_page(session, dataset, cursor=cursor, limit=limit)


@router.get(
    "/versions/{version_id}/report",
    response_model=schemas.ValidationReport,
    summary="The validation report of a version (producer and hub staff)",
    responses=_WRITE,
)
async def version_report(
    version_id: uuid.UUID, dataset: WritableDataset, session: SessionDep
) -> schemas.ValidationReport:
    return service.report(await service.version(session, dataset, version_id))


@router.get(
    "/versions/{version_id}/statistics",
    response_model=dict[str, schemas.ColumnStatistics],
    summary="Column statistics of a version, under the small-cell rule (producer and hub staff)",
    responses=_WRITE,
)
async def version_statistics(
    version_id: uuid.UUID, dataset: WritableDataset, session: SessionDep, settings: SettingsDep
) -> dict[str, schemas.ColumnStatistics]:
    found = await service.version(session, dataset, version_id)
    return service.statistics(found, settings.catalog_small_cell_threshold)


@maintenance.post(
    "/expire",
    response_model=dict[str, int],
    summary="Purge the uploads whose time ran out (hub staff; also done on each new upload)",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def expire_uploads(
    principal: HubStaff, session: SessionDep, store: StoreDep, settings: SettingsDep
) -> dict[str, int]:
    return {"expired": await service.expire(session, store, settings)}
