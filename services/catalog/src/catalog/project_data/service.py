"""A project's own data, uploaded by a member of the project under its live grant: the
catalogue's upload protocol and validator, against the Table Schema the member gives; the
validated Parquet waits in the landing bucket, under the project's prefix, until the linkage
service has pseudonymised it into the project's domain and deleted it."""

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.config import Settings
from catalog.db import outbox
from catalog.dictionary.identifiers import of_field
from catalog.errors import InvalidTableSchema
from catalog.events import (
    PROJECT_DATA_REJECTED,
    PROJECT_DATA_VALIDATED,
    ProjectDataChecked,
    VersionColumn,
)
from catalog.project_data import schemas
from catalog.uploads import service as uploads
from catalog.uploads.models import Upload
from catalog.uploads.repository import UploadRepository
from catalog.uploads.streams import file_chunks
from catalog.uploads.validator import TableRules, new_workdir
from hdh_common.errors import Forbidden, NotFound
from hdh_common.identity import Principal
from hdh_common.readers import confirm_reader
from hdh_common.service_client import ServiceClient
from hdh_common.storage import ObjectStore


def landing_key(upload: Upload) -> str:
    return f"projects/{upload.project_id}/{upload.id}.parquet"


async def confirm_loader(
    access: ServiceClient, *, project_id: uuid.UUID, grant_id: uuid.UUID, subject: str
) -> None:
    """A member of the project now, under a live grant of this project (access decides)."""
    rights = await confirm_reader(access, grant_id=grant_id, subject=subject)
    if rights.project_id != project_id:
        raise Forbidden("This grant is not one of the project's.")


def rules_of(table_schema: dict[str, Any]) -> TableRules:
    """The validator's rules for the schema, with the identifiers its field names and
    declarations give (the validator adds those its values show)."""
    try:
        rules = TableRules.from_schema(table_schema)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidTableSchema(f"The Table Schema cannot be read: {exc!r}"[:300]) from exc
    names = [c.name for c in rules.columns]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        raise InvalidTableSchema("Each field needs a name of its own.")
    fields = {f["name"]: f for f in table_schema["fields"]}
    kinds = {
        n: of_field(n, fields[n].get("identifier"), fields[n].get("identifierKind")) for n in names
    }
    return TableRules(
        columns=rules.columns,
        primary_key=rules.primary_key,
        identifiers={n: k for n, k in kinds.items() if k != "none"},
    )


async def start(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    access: ServiceClient,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    payload: schemas.ProjectUploadCreate,
) -> Upload:
    await confirm_loader(
        access, project_id=project_id, grant_id=payload.grant_id, subject=principal.subject
    )
    table_schema = payload.table_schema.model_dump(exclude_none=True)
    rules_of(table_schema)
    await uploads.expire(session, store, settings)
    return await uploads.open_upload(
        session,
        store,
        settings,
        principal=principal,
        payload=payload,
        project_id=project_id,
        grant_id=payload.grant_id,
        table_schema=table_schema,
    )


async def own(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    upload_id: uuid.UUID,
) -> Upload:
    """The caller's own upload to the project, while they still may load its data."""
    upload = await UploadRepository(session).of_project(project_id, upload_id)
    if upload is None or upload.created_by != principal.subject:
        raise NotFound(f"No upload {upload_id} of yours for this project.")
    assert upload.grant_id is not None
    await confirm_loader(
        access, project_id=project_id, grant_id=upload.grant_id, subject=principal.subject
    )
    return upload


async def complete(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    *,
    principal: Principal,
    upload: Upload,
) -> Upload:
    uploads.still_open(upload)
    keys = await uploads.received_keys(session, upload)
    rules = rules_of(upload.table_schema or {})
    key = None
    with new_workdir(settings.work_dir) as workdir:
        outcome, _, _ = await uploads.checked(store, settings, upload, rules, keys, Path(workdir))
        if outcome.parquet is not None:
            key = landing_key(upload)
            await store.put(
                settings.catalog_landing_bucket,
                key,
                file_chunks(str(outcome.parquet)),
                content_type="application/vnd.apache.parquet",
            )
    try:
        upload.report = uploads.report_of(outcome.report)
        status = "validated" if key else "rejected"
        await uploads.discard(session, store, settings, upload, status=status)
        identifiers = rules.identifiers | outcome.identifiers
        await _publish(
            session,
            principal,
            upload,
            object_key=key,
            bucket=settings.catalog_landing_bucket,
            columns=[
                VersionColumn(name=c.name, identifier=identifiers.get(c.name, "none"))
                for c in rules.columns
            ],
        )
    except BaseException:
        if key:
            await store.delete(settings.catalog_landing_bucket, key)
        raise
    return upload


async def _publish(
    session: AsyncSession,
    principal: Principal,
    upload: Upload,
    *,
    object_key: str | None,
    bucket: str,
    columns: list[VersionColumn],
) -> None:
    report = upload.report or {}
    assert upload.project_id is not None and upload.grant_id is not None
    event = ProjectDataChecked(
        upload_id=upload.id,
        project_id=upload.project_id,
        grant_id=upload.grant_id,
        table=upload.table_name,
        row_count=int(report.get("rows", 0)),
        bucket=bucket if object_key else None,
        object_key=object_key,
        columns=columns,
        error_count=int(report.get("error_count", 0)),
        outcome=None if object_key else "failure",
    )
    await outbox.publish(
        session,
        type=PROJECT_DATA_VALIDATED if object_key else PROJECT_DATA_REJECTED,
        subject=str(upload.project_id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )
