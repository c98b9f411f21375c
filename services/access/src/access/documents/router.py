import unicodedata
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from access.dependencies import SettingsDep
from access.documents import schemas, service
from access.errors import (
    ConflictOfInterest,
    DocumentKindNotAllowed,
    DocumentTooLarge,
    FourEyes,
    UnsupportedDocumentType,
)
from access.requests.dependencies import RequestFromPath
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.storage import StoreDep

router = APIRouter(prefix="/access/requests/{request_id}/documents", tags=["documents"])
FILENAME = r"^[^/\\\"\x00-\x1f]{1,255}$"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Document,
    summary="Upload a document (the body is the file; a new version per upload of a kind)",
    description="The project's members upload the applicant's kinds (protocol, data "
    "management plan, CV, final report, destruction certificate, other); hub staff signed "
    "agreements and closing documents, the committee its opinion, the regulator its "
    "decision (each also `other`). Another kind is 403 `document-kind-not-allowed`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in sorted(schemas.ACCEPTED_TYPES)
            },
        }
    },
    responses=problem_responses(
        Unauthorized,
        Forbidden,
        FourEyes,
        ConflictOfInterest,
        DocumentKindNotAllowed,
        NotFound,
        DocumentTooLarge,
        UnsupportedDocumentType,
    ),
)
async def upload_document(
    request: Request,
    context: RequestFromPath,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    store: StoreDep,
    kind: schemas.DocumentKind,
    filename: Annotated[str, Query(pattern=FILENAME)],
    content_type: Annotated[str | None, Header()] = None,
) -> schemas.Document:
    # read, not declared: a client sets no Content-Length of its own, the HTTP layer does
    length = request.headers.get("content-length", "")
    declared = int(length) if length.isdigit() else None
    media_type = service.check_type(content_type, declared, settings)
    document = await service.upload(
        session,
        principal,
        context,
        kind=kind,
        filename=filename,
        media_type=media_type,
        chunks=request.stream(),
        store=store,
        settings=settings,
    )
    return schemas.Document.model_validate(document)


@router.get(
    "",
    response_model=Page[schemas.Document],
    summary="Every version of every document of the request, by kind and version",
    responses=problem_responses(Unauthorized, NotFound, InvalidCursor),
)
async def list_documents(
    context: RequestFromPath,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Document]:
    return await service.listing(session, context, cursor=cursor, limit=limit)


@router.get(
    "/{document_id}/content",
    response_class=StreamingResponse,
    summary="Download one version; its sha256 is the ETag",
    responses=problem_responses(Unauthorized, NotFound),
)
async def download_document(
    document_id: uuid.UUID,
    context: RequestFromPath,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> StreamingResponse:
    document = await service.get(session, context, document_id)
    return StreamingResponse(
        store.get(settings.documents_bucket, document.object_key),
        media_type=document.content_type,
        headers={
            "ETag": f'"{document.sha256}"',
            "Content-Disposition": content_disposition(document.filename),
        },
    )


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients (no quote, backslash or percent), the
    exact name in ``filename*`` (RFC 5987, UTF-8 percent-encoded); a header is Latin-1, so
    the raw name is never in it."""
    decomposed = unicodedata.normalize("NFKD", filename)
    fallback = "".join(
        c if " " <= c <= "~" and c not in '"\\%' else "_"
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
