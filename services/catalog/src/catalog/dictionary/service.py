import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.dictionary import schemas
from catalog.dictionary.models import DatasetTable
from catalog.dictionary.repository import DictionaryRepository
from hdh_common.errors import NotFound
from hdh_common.pagination import Page


async def tables_page(
    session: AsyncSession, dataset_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[schemas.TableSummary]:
    rows = await DictionaryRepository(session).table_page(dataset_id, cursor=cursor, limit=limit)
    return Page.from_rows(rows, limit, key=lambda r: (r[0].name,), convert=lambda r: _summary(*r))


async def table(session: AsyncSession, dataset_id: uuid.UUID, name: str) -> schemas.Table:
    repository = DictionaryRepository(session)
    found = await repository.table(dataset_id, name)
    if found is None:
        raise NotFound(f"No table {name!r} in this dataset.")
    variables = await repository.variables([found.id])
    foreign_keys = await repository.foreign_keys([found.id])
    return schemas.Table(
        **_summary(found, len(variables)).model_dump(),
        variables=[schemas.Variable.model_validate(v) for v in variables],
        foreign_keys=[schemas.ForeignKey.model_validate(fk) for fk in foreign_keys],
        order_rules=[schemas.OrderRule.model_validate(rule) for rule in found.order_rules],
    )


async def variables_page(
    session: AsyncSession, dataset_id: uuid.UUID, name: str, *, cursor: str | None, limit: int
) -> Page[schemas.Variable]:
    repository = DictionaryRepository(session)
    found = await repository.table(dataset_id, name)
    if found is None:
        raise NotFound(f"No table {name!r} in this dataset.")
    rows = await repository.variable_page(found.id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda v: (v.position,), convert=schemas.Variable.model_validate
    )


async def graph(session: AsyncSession, dataset_id: uuid.UUID) -> schemas.Graph:
    repository = DictionaryRepository(session)
    tables = [table for table, _ in await repository.tables(dataset_id)]
    names = {table.id: table.name for table in tables}
    edges = [
        schemas.GraphEdge(
            source=names[fk.table_id],
            target=fk.reference_table,
            fields=fk.fields,
            reference_fields=fk.reference_fields,
        )
        for fk in await repository.foreign_keys(list(names))
    ]
    nodes = [
        schemas.GraphNode(id=t.name, title=t.title, product=t.product, primary_key=t.primary_key)
        for t in tables
    ]
    return schemas.Graph(nodes=nodes, edges=edges)


def _summary(table: DatasetTable, count: int) -> schemas.TableSummary:
    return schemas.TableSummary(
        id=table.id,
        name=table.name,
        title=table.title,
        description=table.description,
        product=table.product,
        primary_key=table.primary_key,
        event_dates=table.event_dates,
        variable_count=count,
    )
