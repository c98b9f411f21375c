import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.documents.models import Document
from hdh_common.pagination import keyset


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, document_id: uuid.UUID) -> Document | None:
        return await self.session.get(Document, document_id)

    async def next_version(self, request_id: uuid.UUID, kind: str) -> int:
        latest = await self.session.scalar(
            select(func.max(Document.version)).where(
                Document.request_id == request_id, Document.kind == kind
            )
        )
        return int(latest or 0) + 1

    async def add(self, document: Document) -> Document:
        self.session.add(document)
        await self.session.flush()
        await self.session.refresh(document, attribute_names=["uploaded_at"])
        return document

    async def page(
        self, request_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[Document]:
        query = select(Document).where(Document.request_id == request_id)
        query = keyset(query, Document.kind, Document.version, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))
