from typing import Any

from fastapi import APIRouter, Response

from audit.errors import EntryTooLargeForBundle, TileNotFound
from audit.tiles import service
from audit.tiles.paths import Tile, parse_level, parse_tile
from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, Unauthorized, problem_responses
from hdh_common.identity import Auditor, PrincipalDep

router = APIRouter(prefix="/audit/tile", tags=["tiles"])
BINARY: dict[int | str, dict[str, Any]] = {200: {"content": {"application/octet-stream": {}}}}
# A tile's URL names its content for good: hash tiles reveal hashes only, entry bundles are
# kept out of shared caches.
HASHES_CACHE = "public, max-age=31536000, immutable"
ENTRIES_CACHE = "private, max-age=31536000, immutable"


def _tile(path: str) -> Tile:
    tile = parse_tile(path)
    if tile is None:
        raise TileNotFound(f"{path!r} is not a tile path (c2sp.org/tlog-tiles).")
    return tile


def _binary(content: bytes, cache: str) -> Response:
    return Response(
        content, media_type="application/octet-stream", headers={"Cache-Control": cache}
    )


@router.get(
    "/entries/{path:path}",
    response_class=Response,
    summary="An entry bundle: the entries of a level-0 tile, each uint16-length prefixed",
    description="Each entry is the RFC 8785 JSON its leaf hash covers (c2sp.org/tlog-tiles).",
    responses=BINARY
    | problem_responses(Unauthorized, Forbidden, TileNotFound, EntryTooLargeForBundle),
)
async def entry_bundle(session: SessionDep, principal: Auditor, path: str) -> Response:
    content = await service.entry_bundle(session, tile=_tile(path))
    return _binary(content, ENTRIES_CACHE)


@router.get(
    "/{level}/{path:path}",
    response_class=Response,
    summary="A tile of the Merkle tree: up to 256 consecutive hashes of one tile level",
    description="`/audit/tile/<L>/<N>[.p/<W>]` as c2sp.org/tlog-tiles names them; the "
    "hashes are RFC 6962 subtree hashes, as every proof of this log.",
    responses=BINARY | problem_responses(Unauthorized, TileNotFound),
)
async def hash_tile(
    session: SessionDep, principal: PrincipalDep, level: str, path: str
) -> Response:
    parsed = parse_level(level)
    if parsed is None:
        raise TileNotFound(f"{level!r} is not a tile level (0 to 63).")
    content = await service.hash_tile(session, level=parsed, tile=_tile(path))
    return _binary(content, HASHES_CACHE)
