"""Documents of a request: streamed to the object store with their sha256, one version each."""

import uuid
from collections.abc import AsyncIterable, AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from access.config import Settings
from access.db import outbox
from access.documents import schemas
from access.documents.models import Document
from access.documents.repository import DocumentRepository
from access.documents.schemas import ACCEPTED_TYPES
from access.errors import DocumentKindNotAllowed, DocumentTooLarge, UnsupportedDocumentType
from access.events import DOCUMENT_UPLOADED, DocumentUploaded
from access.requests.service import RequestInContext
from access.workflow.policy import ensure_independent
from hdh_common.errors import Forbidden, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page
from hdh_common.storage import ObjectStore

TERMINAL = ("closed", "rejected", "withdrawn")
APPLICANT_KINDS = frozenset(
    {"protocol", "data_management_plan", "cv", "final_report", "destruction_certificate", "other"}
)
REVIEWER_KINDS: dict[Role, frozenset[str]] = {
    Role.HUB_STAFF: frozenset(
        {"signed_agreement", "final_report", "destruction_certificate", "other"}
    ),
    Role.COMMITTEE_MEMBER: frozenset({"committee_opinion", "other"}),
    Role.REGULATOR: frozenset({"regulator_decision", "other"}),
}


class _TooLarge(Exception):
    pass


async def _bounded(chunks: AsyncIterable[bytes], limit: int) -> AsyncIterator[bytes]:
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        yield chunk


def uploadable_kinds(principal: Principal, context: RequestInContext) -> frozenset[str]:
    """The kinds ``principal`` may upload: a member files the applicant's, a reviewer their
    role's (a member who is also a reviewer files as a member)."""
    if context.is_member:
        return APPLICANT_KINDS
    return frozenset().union(*(REVIEWER_KINDS.get(role, frozenset()) for role in principal.roles))


async def _ensure_may_upload(
    session: AsyncSession, principal: Principal, context: RequestInContext, kind: str
) -> None:
    if context.request.state in TERMINAL:
        raise Forbidden(f"The request is {context.request.state}; its file is closed.")
    if not context.is_member:
        if not principal.has_any(*REVIEWER_KINDS):
            raise Forbidden("Only the project's members and the reviewers add documents.")
        await ensure_independent(session, principal, context)
    allowed = uploadable_kinds(principal, context)
    if kind not in allowed:
        raise DocumentKindNotAllowed(
            f"You may not upload a {kind} document.", allowed_kinds=sorted(allowed)
        )


def check_type(content_type: str | None, declared_size: int | None, settings: Settings) -> str:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in ACCEPTED_TYPES:
        raise UnsupportedDocumentType(
            f"Documents of type {media_type or 'unknown'!r} are not accepted.",
            accepted_types=sorted(ACCEPTED_TYPES),
        )
    if declared_size is not None and declared_size > settings.document_max_bytes:
        raise DocumentTooLarge(
            f"Documents are limited to {settings.document_max_bytes} bytes.",
            max_bytes=settings.document_max_bytes,
        )
    return media_type


async def upload(
    session: AsyncSession,
    principal: Principal,
    context: RequestInContext,
    *,
    kind: str,
    filename: str,
    media_type: str,
    chunks: AsyncIterable[bytes],
    store: ObjectStore,
    settings: Settings,
) -> Document:
    await _ensure_may_upload(session, principal, context, kind)
    repository = DocumentRepository(session)
    version = await repository.next_version(context.request.id, kind)
    key = f"requests/{context.request.id}/{kind}/v{version}-{uuid.uuid4().hex}"
    await store.ensure_bucket(settings.documents_bucket)
    try:
        info = await store.put(
            settings.documents_bucket,
            key,
            _bounded(chunks, settings.document_max_bytes),
            content_type=media_type,
        )
    except _TooLarge:
        raise DocumentTooLarge(
            f"Documents are limited to {settings.document_max_bytes} bytes.",
            max_bytes=settings.document_max_bytes,
        ) from None
    document = Document(
        request_id=context.request.id,
        kind=kind,
        version=version,
        filename=filename,
        content_type=media_type,
        size=info.size,
        sha256=info.sha256 or "",
        object_key=key,
        uploaded_by=principal.subject,
    )
    await repository.add(document)
    uploaded = DocumentUploaded(
        document_id=document.id,
        request_id=document.request_id,
        kind=kind,
        version=version,
        size=document.size,
        sha256=document.sha256,
    )
    await outbox.publish(
        session,
        type=DOCUMENT_UPLOADED,
        subject=str(document.request_id),
        data=uploaded.model_dump(mode="json"),
        actor=principal.subject,
    )
    return document


async def listing(
    session: AsyncSession, context: RequestInContext, *, cursor: str | None, limit: int
) -> Page[schemas.Document]:
    rows = await DocumentRepository(session).page(context.request.id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda d: (d.kind, d.version), convert=schemas.Document.model_validate
    )


async def get(session: AsyncSession, context: RequestInContext, document_id: uuid.UUID) -> Document:
    document = await DocumentRepository(session).get(document_id)
    if document is None or document.request_id != context.request.id:
        raise NotFound(f"No document {document_id} on this request.")
    return document
