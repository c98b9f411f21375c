# ruff: noqa: S608  (statements assembled from constant fragments; values are bound)
"""Keeps ``search_document`` in step with datasets, their dictionaries and nomenclatures.

Weights: A for a name or label (what a thing *is*), C for text that mentions it in passing.
"""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_VECTOR = (
    "setweight(to_tsvector('catalog.fr', coalesce({name}, '')), 'A')"
    " || setweight(to_tsvector('catalog.fr', coalesce({label}, '')), 'A')"
    " || setweight(to_tsvector('catalog.fr', coalesce({body}, '')), 'C')"
)
_PLAIN = "lower(catalog.unaccent({name} || ' ' || coalesce({label}, '')))"
_COLUMNS = (
    "kind, dataset_id, nomenclature_id, table_name, name, label, body, publisher, themes,"
    " access_rights, created_year, deleted_year, plain, document"
)

_DATASET = f"""
INSERT INTO catalog.search_document ({_COLUMNS})
SELECT 'dataset', d.id, NULL, NULL, d.slug, d.title, d.description || ' ' || d.title_en
       || ' ' || array_to_string(d.keywords, ' '), d.publisher, d.themes, d.access_rights,
       NULL, NULL, {_PLAIN.format(name="d.slug", label="d.title")},
       {
    _VECTOR.format(
        name="d.slug",
        label="d.title",
        body="d.description || ' ' || array_to_string(d.keywords, ' ')",
    )
}
  FROM catalog.dataset d WHERE d.id = :dataset_id
"""
_TABLES = f"""
INSERT INTO catalog.search_document ({_COLUMNS})
SELECT 'table', d.id, NULL, t.name, t.name, t.title, t.description, d.publisher, d.themes,
       d.access_rights, NULL, NULL, {_PLAIN.format(name="t.name", label="t.title")},
       {_VECTOR.format(name="t.name", label="t.title", body="t.description")}
  FROM catalog.dataset_table t JOIN catalog.dataset d ON d.id = t.dataset_id
 WHERE d.id = :dataset_id
"""
_VARIABLES = f"""
INSERT INTO catalog.search_document ({_COLUMNS})
SELECT 'variable', d.id, NULL, t.name, v.name, v.label,
       concat_ws(' ', nullif(v.description, v.label), v.extra ->> 'observation',
                 v.extra ->> 'regle_gestion'),
       d.publisher, d.themes, d.access_rights, v.created_year, v.deleted_year,
       {_PLAIN.format(name="v.name", label="v.label")},
       {
    _VECTOR.format(
        name="v.name",
        label="v.label",
        body="concat_ws(' ', nullif(v.description, v.label),"
        " v.extra ->> 'observation', v.extra ->> 'regle_gestion')",
    )
}
  FROM catalog.variable v JOIN catalog.dataset_table t ON t.id = v.table_id
  JOIN catalog.dataset d ON d.id = t.dataset_id
 WHERE d.id = :dataset_id
"""
_NOMENCLATURE = f"""
INSERT INTO catalog.search_document ({_COLUMNS})
SELECT 'nomenclature', NULL, n.id, NULL, n.name, n.title, '', NULL, '{{}}', NULL, NULL, NULL,
       {_PLAIN.format(name="n.name", label="n.title")},
       {_VECTOR.format(name="n.name", label="n.title", body="''")}
  FROM catalog.nomenclature n WHERE n.id = :nomenclature_id
"""
_CODES = f"""
INSERT INTO catalog.search_document ({_COLUMNS})
SELECT 'code', NULL, n.id, NULL, c.code, coalesce(c.label, ''), n.name || ' ' || n.title,
       NULL, '{{}}', NULL, NULL, NULL, {_PLAIN.format(name="c.code", label="c.label")},
       {_VECTOR.format(name="c.code", label="c.label", body="n.title")}
  FROM catalog.nomenclature_code c JOIN catalog.nomenclature_version v ON v.id = c.version_id
  JOIN catalog.nomenclature n ON n.id = v.nomenclature_id
 WHERE v.id = :version_id
"""


_OWN_WORDS = """
SELECT DISTINCT w FROM catalog.search_document s,
       regexp_split_to_table(s.plain, '[^a-z0-9]+') AS w
 WHERE s.{owner} = :{owner} AND s.kind <> 'code' AND length(w) >= 3
"""
# Sorted, so that two of these sharing words cannot deadlock.
_ADD_WORDS = """
INSERT INTO catalog.search_word (word)
SELECT w FROM unnest(CAST(:words AS text[])) AS w ORDER BY w
ON CONFLICT DO NOTHING
"""


async def _add_words(session: AsyncSession, owner: str, params: dict[str, uuid.UUID]) -> None:
    """Add the owner's words to the typo lexicon, in a transaction of its own committed at
    once: a long import holding new words until its end would make every registration that
    shares one wait for it. A word left by a transaction that then rolls back only offers
    a correction that finds nothing."""
    words = sorted(await session.scalars(text(_OWN_WORDS.format(owner=owner)), params))
    if not words:
        return
    async with AsyncSession(session.bind) as own, own.begin():
        await own.execute(text(_ADD_WORDS), {"words": words})


async def reindex_dataset(session: AsyncSession, dataset_id: uuid.UUID) -> None:
    params = {"dataset_id": dataset_id}
    await session.execute(
        text("DELETE FROM catalog.search_document WHERE dataset_id = :dataset_id"), params
    )
    for statement in (_DATASET, _TABLES, _VARIABLES):
        await session.execute(text(statement), params)
    await _add_words(session, "dataset_id", params)


async def reindex_nomenclature(
    session: AsyncSession, nomenclature_id: uuid.UUID, version_id: uuid.UUID | None
) -> None:
    params = {"nomenclature_id": nomenclature_id}
    await session.execute(
        text("DELETE FROM catalog.search_document WHERE nomenclature_id = :nomenclature_id"), params
    )
    await session.execute(text(_NOMENCLATURE), params)
    if version_id is not None:
        await session.execute(text(_CODES), {"version_id": version_id})
    await _add_words(session, "nomenclature_id", params)
