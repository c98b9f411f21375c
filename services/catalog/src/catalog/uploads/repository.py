import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.uploads.models import DatasetVersion, Upload, UploadPart
from hdh_common.pagination import keyset


class UploadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, dataset_id: uuid.UUID, upload_id: uuid.UUID, *, lock: bool = False
    ) -> Upload | None:
        query = select(Upload).where(Upload.id == upload_id, Upload.dataset_id == dataset_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def of_project(self, project_id: uuid.UUID, upload_id: uuid.UUID) -> Upload | None:
        query = select(Upload).where(Upload.id == upload_id, Upload.project_id == project_id)
        return await self.session.scalar(query.with_for_update())

    async def add(self, entity: Upload | DatasetVersion) -> None:
        self.session.add(entity)
        await self.session.flush()

    async def save_part(
        self, upload_id: uuid.UUID, number: int, *, size: int, sha256: str
    ) -> UploadPart:
        values = {"upload_id": upload_id, "number": number, "size": size, "sha256": sha256}
        statement = (
            insert(UploadPart)
            .values(values)
            .on_conflict_do_update(
                index_elements=["upload_id", "number"],
                set_={"size": size, "sha256": sha256, "received_at": func.now()},
            )
            .returning(UploadPart)
        )
        options = {"populate_existing": True}
        part: UploadPart = (await self.session.scalars(statement, execution_options=options)).one()
        return part

    async def parts(self, upload_id: uuid.UUID) -> list[UploadPart]:
        query = (
            select(UploadPart).where(UploadPart.upload_id == upload_id).order_by(UploadPart.number)
        )
        return list(await self.session.scalars(query))

    async def part_page(
        self, upload_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[UploadPart]:
        query = select(UploadPart).where(UploadPart.upload_id == upload_id)
        query = keyset(query, UploadPart.number, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def drop_parts(self, upload_id: uuid.UUID) -> None:
        await self.session.execute(delete(UploadPart).where(UploadPart.upload_id == upload_id))

    async def expired(self, now: datetime) -> list[Upload]:
        query = (
            select(Upload)
            .where(Upload.status == "open", Upload.expires_at < now)
            .with_for_update(skip_locked=True)
        )
        return list(await self.session.scalars(query))

    async def next_version(self, dataset_id: uuid.UUID, table: str) -> int:
        """The next number for the table, held until commit: concurrent uploads queue here."""
        await self.session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended(f"{dataset_id}/{table}", 0)))
        )
        query = select(func.coalesce(func.max(DatasetVersion.number), 0)).where(
            DatasetVersion.dataset_id == dataset_id, DatasetVersion.table_name == table
        )
        return int(await self.session.scalar(query) or 0) + 1

    async def latest_validated(self, dataset_id: uuid.UUID, table: str) -> DatasetVersion | None:
        query = (
            select(DatasetVersion)
            .where(
                DatasetVersion.dataset_id == dataset_id,
                DatasetVersion.table_name == table,
                DatasetVersion.status == "validated",
            )
            .order_by(DatasetVersion.number.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def versions(
        self, dataset_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[DatasetVersion]:
        query = select(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id)
        query = keyset(
            query, DatasetVersion.created_at, DatasetVersion.id, cursor=cursor, limit=limit
        )
        return list(await self.session.scalars(query))

    async def version(self, dataset_id: uuid.UUID, version_id: uuid.UUID) -> DatasetVersion | None:
        query = select(DatasetVersion).where(
            DatasetVersion.id == version_id, DatasetVersion.dataset_id == dataset_id
        )
        return await self.session.scalar(query)
