# ruff: noqa: S608  (statements assembled from constant fragments; values are bound)
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.datasets.visibility import OPEN_STATUSES, Visibility
from catalog.search.schemas import SearchFilters

CODE_CANDIDATES = 200
# A word taken for a typo is replaced by its closest words in the lexicon: at most this many,
# and only those within this margin of the closest one's trigram similarity.
ALTERNATIVES = 3
ALTERNATIVE_MARGIN = 0.1

# The score: (4 x ts_rank + a name-or-label term + 4 for an exact name or code) x the kind's
# weight. The name-or-label term is 1 when every query word is among the name's and label's
# lexemes (weight A) for a full-text match, and the trigram word similarity of the name and
# label for a document matched by trigrams: both lie in [0, 1], and only typos pay for
# trigrams.
_SCORE = """(
      ts_rank(s.document, {tsq}, 1) * 4 + {label}
      + CASE WHEN upper(s.name) = q.code THEN 4 ELSE 0 END
    ) * CASE s.kind WHEN 'variable' THEN 1.0 WHEN 'dataset' THEN 1.0 WHEN 'table' THEN 0.9
                    WHEN 'nomenclature' THEN 0.8 ELSE 0.7 END"""
_HIT = "s.id, s.kind, s.publisher, s.access_rights, s.themes, {score} AS score"


def _word_hit(tsq: str) -> str:
    label = f"""CASE WHEN ts_filter(s.document, ARRAY['a'::"char"]) @@ {tsq} THEN 1 ELSE 0 END"""
    return _HIT.format(score=_SCORE.format(tsq=tsq, label=label))


_TYPO_HIT = _HIT.format(
    score=_SCORE.format(tsq="q.tsq", label="catalog.word_similarity(q.plain, s.plain)")
)
_NOTHING_FOUND = "NOT EXISTS (SELECT FROM word_hits) AND NOT EXISTS (SELECT FROM code_hits)"
_NOTHING_CORRECTED = "NOT EXISTS (SELECT FROM corrected_hits)"
_TYPO = "q.plain OPERATOR(catalog.<%) s.plain"
# Full text (GIN on the stored tsvector) and exact names or codes find the matches, scored in
# the same pass, each match once. When neither finds anything, the query is taken for a
# typo: each of its words is replaced by its closest words in the lexicon (trigrams over the
# few thousand words of names and labels), and full text runs again with them. Only when
# that finds nothing either are the documents' names and labels matched by trigrams, the
# costly last resort.
# Code lists hold hundreds of thousands of labels: exact codes always come, then a bounded
# number of label matches. Each part is materialised, so that a limit cannot turn it into a
# sequential scan, and the fallbacks are gated by one-time filters.
_MATCHES = f"""
WITH q AS (
  SELECT websearch_to_tsquery('catalog.fr', :q) AS tsq, lower(catalog.unaccent(:q)) AS plain,
         upper(:q) AS code
), word_hits AS MATERIALIZED (
  SELECT {_word_hit("q.tsq")} FROM catalog.search_document s, q
   WHERE s.kind <> 'code' AND s.document @@ q.tsq {{filters}}
  UNION ALL
  SELECT {_word_hit("q.tsq")} FROM catalog.search_document s, q
   WHERE upper(s.name) = q.code AND NOT (s.kind <> 'code' AND s.document @@ q.tsq) {{filters}}
), code_hits AS MATERIALIZED (
  SELECT {_word_hit("q.tsq")} FROM catalog.search_document s, q
   WHERE s.kind = 'code' AND s.document @@ q.tsq AND upper(s.name) <> q.code {{filters}}
   LIMIT :code_candidates
), corrected AS MATERIALIZED (
  SELECT to_tsquery('catalog.fr', string_agg(alternatives, ' & ' ORDER BY position)) AS tsq
    FROM (
      SELECT position, '(' || string_agg(word, ' | ') || ')' AS alternatives FROM (
        SELECT t.position, c.word, c.similarity,
               max(c.similarity) OVER (PARTITION BY t.position) AS best
          FROM q, regexp_split_to_table(q.plain, '[^a-z0-9]+') WITH ORDINALITY AS t(term, position),
               LATERAL (
                 SELECT w.word, catalog.similarity(w.word, t.term) AS similarity
                   FROM catalog.search_word w WHERE w.word OPERATOR(catalog.%) t.term
                  ORDER BY 2 DESC, w.word LIMIT :alternatives
               ) c
         WHERE length(t.term) >= 3 AND {_NOTHING_FOUND}
      ) candidates
       WHERE similarity >= best - :alternative_margin
       GROUP BY position
    ) words
), corrected_hits AS MATERIALIZED (
  SELECT {_word_hit("c.tsq")} FROM catalog.search_document s, q, corrected c
   WHERE s.kind <> 'code' AND s.document @@ c.tsq {{filters}}
  UNION ALL
  (SELECT {_word_hit("c.tsq")} FROM catalog.search_document s, q, corrected c
    WHERE s.kind = 'code' AND s.document @@ c.tsq {{filters}} LIMIT :code_candidates)
), typo_words AS MATERIALIZED (
  SELECT {_TYPO_HIT} FROM catalog.search_document s, q
   WHERE s.kind <> 'code' AND {_TYPO} {{filters}} AND {_NOTHING_FOUND} AND {_NOTHING_CORRECTED}
), typo_codes AS MATERIALIZED (
  SELECT {_TYPO_HIT} FROM catalog.search_document s, q
   WHERE s.kind = 'code' AND {_TYPO} {{filters}} AND {_NOTHING_FOUND} AND {_NOTHING_CORRECTED}
), matches AS (
  SELECT * FROM word_hits UNION ALL SELECT * FROM code_hits
  UNION ALL SELECT * FROM corrected_hits
  UNION ALL SELECT * FROM typo_words
  UNION ALL (SELECT * FROM typo_codes LIMIT :code_candidates)
), page AS (
  SELECT s.*, m.score FROM (
    SELECT id, score FROM matches ORDER BY score DESC, id LIMIT :limit OFFSET :offset
  ) m JOIN catalog.search_document s ON s.id = m.id
)"""
# Highlights mark matches with two private-use characters, taken out of the text first: the
# service escapes the text and only then turns them into markup.
START_MARK, STOP_MARK = "\ue000", "\ue001"
_MARKS = f"StartSel={START_MARK}, StopSel={STOP_MARK}"
# One statement: the matches are computed once, for the page and for the facets alike; the
# highlights only for the page. The facets row always comes, the page columns are null when
# nothing matched.
_SEARCH = (
    _MATCHES
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
)
SELECT f.facets, m.kind, m.name, m.label, m.dataset_id, d.slug AS dataset_slug, m.table_name,
       n.name AS nomenclature, m.created_year, m.deleted_year, m.score,
       ts_headline('catalog.fr', translate(m.label, :marks, ''), coalesce(c.tsq, q.tsq),
                   :highlight_options) AS highlight,
       ts_headline('catalog.fr', translate(m.body, :marks, ''), coalesce(c.tsq, q.tsq),
                   :snippet_options) AS snippet
  FROM facet_counts f
  CROSS JOIN q
  CROSS JOIN corrected c
  LEFT JOIN page m ON true
  LEFT JOIN catalog.dataset d ON d.id = m.dataset_id
  LEFT JOIN catalog.nomenclature n ON n.id = m.nomenclature_id
 ORDER BY m.score DESC NULLS LAST, m.id
"""
)


_SEEN = (
    "(s.dataset_id IS NULL OR s.dataset_id IN (SELECT d.id FROM catalog.dataset d"
    " WHERE d.status = ANY(:open_statuses) OR d.publisher = :drafts_of))"
)


def _filters(filters: SearchFilters, visibility: Visibility) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if not visibility.everything:
        clauses.append(_SEEN)
        params |= {"open_statuses": list(OPEN_STATUSES), "drafts_of": visibility.drafts_of}
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
        self,
        query: str,
        filters: SearchFilters,
        *,
        visibility: Visibility,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str, int]]]:
        """The page of hits among the datasets seen, and the facet counts over every match."""
        where, params = _filters(filters, visibility)
        params |= {
            "q": query,
            "limit": limit,
            "offset": offset,
            "code_candidates": CODE_CANDIDATES,
            "alternatives": ALTERNATIVES,
            "alternative_margin": ALTERNATIVE_MARGIN,
            "marks": START_MARK + STOP_MARK,
            "highlight_options": f"{_MARKS}, HighlightAll=true",
            "snippet_options": f"{_MARKS}, MaxWords=25, MinWords=8",
        }
        # The planner's estimates of the fallbacks can pass the JIT threshold: compiling the
        # statement costs far more than running it.
        await self.session.execute(text("SET LOCAL jit = off"))
        result = await self.session.execute(text(_SEARCH.format(filters=where)), params)
        rows = [dict(row) for row in result.mappings()]
        facets = [(str(f), str(v), int(n)) for f, v, n in (rows[0]["facets"] or [])] if rows else []
        return [row for row in rows if row["kind"] is not None], facets
