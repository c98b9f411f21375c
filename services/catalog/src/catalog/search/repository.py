# ruff: noqa: S608  (statements assembled from constant fragments; values are bound)
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.search.schemas import SearchFilters

CODE_CANDIDATES = 200

_MATCH = "(s.document @@ q.tsq OR q.plain OPERATOR(catalog.<%) s.plain OR upper(s.name) = q.code)"
_SCORE = """(
      ts_rank(s.document, q.tsq, 1) * 4
      + catalog.word_similarity(q.plain, s.plain)
      + CASE WHEN upper(s.name) = q.code THEN 4 ELSE 0 END
    ) * CASE s.kind WHEN 'variable' THEN 1.0 WHEN 'dataset' THEN 1.0 WHEN 'table' THEN 0.9
                    WHEN 'nomenclature' THEN 0.8 ELSE 0.7 END"""
# Datasets, tables, variables and nomenclatures are ranked in full. Code lists hold hundreds of
# thousands of labels: exact codes always come, then a bounded number of label matches
# (the match is materialised first, so that the limit cannot turn it into a sequential scan).
_QUERY = f"""
WITH q AS (
  SELECT websearch_to_tsquery('catalog.fr', :q) AS tsq, lower(catalog.unaccent(:q)) AS plain,
         upper(:q) AS code
), code_matches AS MATERIALIZED (
  SELECT s.id FROM catalog.search_document s, q WHERE s.kind = 'code' AND {_MATCH} {{filters}}
), code_candidates AS (
  (SELECT s.id FROM catalog.search_document s, q
    WHERE s.kind = 'code' AND upper(s.name) = q.code {{filters}})
  UNION
  (SELECT id FROM code_matches LIMIT :code_candidates)
), matches AS (
  SELECT s.*, {_SCORE} AS score FROM catalog.search_document s, q
   WHERE s.kind <> 'code' AND {_MATCH} {{filters}}
  UNION ALL
  SELECT s.*, {_SCORE} AS score FROM catalog.search_document s, q
   WHERE s.id IN (SELECT id FROM code_candidates)
)
"""
# One statement: the matches are computed once, for the page and for the facets alike. The
# facets row always comes, the page columns are null when nothing matched.
_SEARCH = (
    _QUERY
    + """
, facet_counts AS (
  SELECT json_agg(json_build_array(facet, value, n)) AS facets FROM (
    SELECT 'kind' AS facet, kind AS value, count(*) AS n FROM matches GROUP BY kind
    UNION ALL SELECT 'publisher', publisher, count(*) FROM matches
     WHERE publisher IS NOT NULL GROUP BY publisher
    UNION ALL SELECT 'access_rights', access_rights, count(*) FROM matches
     WHERE access_rights IS NOT NULL GROUP BY access_rights
    UNION ALL SELECT 'theme', theme, count(*) FROM matches, unnest(themes) AS theme
     GROUP BY theme
  ) f
), page AS (
  SELECT * FROM matches ORDER BY score DESC, id LIMIT :limit OFFSET :offset
)
SELECT f.facets, m.kind, m.name, m.label, m.dataset_id, d.slug AS dataset_slug, m.table_name,
       n.name AS nomenclature, m.created_year, m.deleted_year, m.score,
       ts_headline('catalog.fr', m.label, q.tsq,
                   'StartSel=<mark>, StopSel=</mark>, HighlightAll=true') AS highlight,
       ts_headline('catalog.fr', m.body, q.tsq,
                   'StartSel=<mark>, StopSel=</mark>, MaxWords=25, MinWords=8') AS snippet
  FROM facet_counts f
  CROSS JOIN q
  LEFT JOIN page m ON true
  LEFT JOIN catalog.dataset d ON d.id = m.dataset_id
  LEFT JOIN catalog.nomenclature n ON n.id = m.nomenclature_id
 ORDER BY m.score DESC NULLS LAST, m.id
"""
)


def _filters(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for column, values in (
        ("kind", filters.kinds),
        ("publisher", filters.publisher),
        ("access_rights", filters.access_rights),
    ):
        if values:
            clauses.append(f"s.{column} = ANY(:{column})")
            params[column] = list(values)
    if filters.theme:
        clauses.append("s.themes && CAST(:theme AS text[])")
        params["theme"] = list(filters.theme)
    if filters.present_from is not None:
        clauses.append("s.kind = 'variable' AND coalesce(s.created_year, 0) <= :present_from")
        params["present_from"] = filters.present_from
    if filters.present_to is not None:
        clauses.append("s.kind = 'variable' AND coalesce(s.deleted_year, 9999) >= :present_to")
        params["present_to"] = filters.present_to
    return "".join(f" AND {c}" for c in clauses), params


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self, query: str, filters: SearchFilters, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str, int]]]:
        """The page of hits, and the facet counts over every match."""
        where, params = _filters(filters)
        params |= {"q": query, "limit": limit, "offset": offset, "code_candidates": CODE_CANDIDATES}
        result = await self.session.execute(text(_SEARCH.format(filters=where)), params)
        rows = [dict(row) for row in result.mappings()]
        facets = [(str(f), str(v), int(n)) for f, v, n in (rows[0]["facets"] or [])] if rows else []
        return [row for row in rows if row["kind"] is not None], facets
