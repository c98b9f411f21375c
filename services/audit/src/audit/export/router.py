from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from audit.entries.schemas import EntryFilter
from audit.errors import UnknownTreeSize
from audit.export import service
from audit.export.formats import MEDIA_TYPES, ExportFormat
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, Unauthorized, problem_responses
from hdh_common.identity import Auditor
from hdh_common.state import service_state

router = APIRouter(prefix="/audit", tags=["export"])
FilterQuery = Annotated[EntryFilter, Depends()]


@router.get(
    "/export",
    summary="Stream the log (auditors): NDJSON, CSV or Parquet, with the tree's leaf hashes",
    response_class=StreamingResponse,
    responses={
        200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
        **problem_responses(Unauthorized, Forbidden, UnknownTreeSize),
    },
)
async def export(
    request: Request,
    session: SessionDep,
    principal: Auditor,
    where: FilterQuery,
    format: ExportFormat = ExportFormat.NDJSON,
    tree_size: Annotated[int | None, Query(ge=0, description="Default: the whole log.")] = None,
) -> StreamingResponse:
    size = await service.resolve_size(session, tree_size)
    chunks = service.stream(
        service_state(request).sessionmaker, where=where, size=size, export_format=format
    )
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[format],
        headers={
            "X-Audit-Tree-Size": str(size),
            "Content-Disposition": f'attachment; filename="audit-{size}.{format.value}"',
        },
    )
