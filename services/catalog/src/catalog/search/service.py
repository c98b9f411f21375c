import html
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.datasets.visibility import Visibility
from catalog.search import schemas
from catalog.search.repository import START_MARK, STOP_MARK, SearchRepository
from hdh_common.pagination import decode_cursor, encode_cursor


async def search(
    session: AsyncSession,
    query: str,
    filters: schemas.SearchFilters,
    *,
    visibility: Visibility,
    cursor: str | None,
    limit: int,
) -> schemas.SearchResults:
    offset = decode_cursor(cursor, length=1, parse=(int,))[0] if cursor else 0
    repository = SearchRepository(session)
    rows, counts = await repository.search(
        query, filters, visibility=visibility, offset=offset, limit=limit + 1
    )
    facets = _facets(counts)
    total = sum(value.count for value in facets.kind)
    next_cursor = encode_cursor([offset + limit]) if len(rows) > limit else None
    return schemas.SearchResults(
        total=total,
        items=[_hit(row) for row in rows[:limit]],
        facets=facets,
        next_cursor=next_cursor,
    )


def _hit(row: dict[str, Any]) -> schemas.Hit:
    return schemas.Hit(
        kind=row["kind"],
        name=row["name"],
        label=row["label"],
        dataset_id=row["dataset_id"],
        dataset_slug=row["dataset_slug"],
        table=row["table_name"],
        nomenclature=row["nomenclature"],
        created_year=row["created_year"],
        deleted_year=row["deleted_year"],
        score=round(float(row["score"]), 6),
        highlight=_marked(row["highlight"] or ""),
        snippet=_marked(row["snippet"] or ""),
    )


def _marked(text: str) -> str:
    """Producer text HTML-escaped, with the matches in ``<mark>``: the only markup served."""
    return html.escape(text).replace(START_MARK, "<mark>").replace(STOP_MARK, "</mark>")


def _facets(rows: list[tuple[str, str, int]]) -> schemas.Facets:
    grouped: dict[str, list[schemas.FacetValue]] = {
        "kind": [],
        "publisher": [],
        "theme": [],
        "access_rights": [],
    }
    for facet, value, count in rows:
        grouped[facet].append(schemas.FacetValue(value=value, count=count))
    for values in grouped.values():
        values.sort(key=lambda v: (-v.count, v.value))
    return schemas.Facets(**grouped)
