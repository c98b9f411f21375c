import io
import uuid
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.dictionary.repository import DictionaryRepository
from catalog.nomenclatures.repository import NomenclatureRepository
from catalog.synthetic.generator import Column, Generator, Reference, Schema
from hdh_common.errors import NotFound

Format = Literal["parquet", "csv"]
MEDIA_TYPES: dict[str, str] = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}
CODES_PER_LIST = 500
FORMULA_LEAD = r"^([=+\-@\t\r])"
"""What a spreadsheet may read as the start of a formula (OWASP CSV injection)."""


async def load_schema(session: AsyncSession, dataset_id: uuid.UUID) -> Schema:
    repository = DictionaryRepository(session)
    tables = {table.id: table for table, _ in await repository.tables(dataset_id)}
    schema = Schema(
        columns={t.name: [] for t in tables.values()},
        primary_keys={t.name: tuple(t.primary_key) for t in tables.values()},
        references={t.name: [] for t in tables.values()},
    )
    for variable in await repository.variables(list(tables)):
        schema.columns[tables[variable.table_id].name].append(
            Column(variable.name, variable.type, variable.length, variable.nomenclature)
        )
    for fk in await repository.foreign_keys(list(tables)):
        schema.references[tables[fk.table_id].name].append(
            Reference(tuple(fk.fields), fk.reference_table, tuple(fk.reference_fields))
        )
    names = {
        c.nomenclature.split(":")[0] for cs in schema.columns.values() for c in cs if c.nomenclature
    }
    schema.codes = await NomenclatureRepository(session).sample_codes(
        sorted(names), per_list=CODES_PER_LIST
    )
    return schema


async def sample(
    session: AsyncSession,
    dataset_id: uuid.UUID,
    table: str,
    *,
    rows: int,
    seed: int,
    format: Format,
) -> bytes:
    schema = await load_schema(session, dataset_id)
    if table not in schema.columns:
        raise NotFound(f"No table {table!r} in this dataset.")
    return encode(Generator(schema, rows=rows, seed=seed).table(table), format)


def encode(table: pa.Table, format: Format) -> bytes:
    buffer = io.BytesIO()
    if format == "csv":
        pa_csv.write_csv(_inert(table), buffer)
    else:
        pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _inert(table: pa.Table) -> pa.Table:
    """Text cells a spreadsheet would run as formulas, quoted by a leading ``'``."""
    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = pc.replace_substring_regex(
                table.column(index), pattern=FORMULA_LEAD, replacement=r"'\1"
            )
            table = table.set_column(index, field, column)
    return table
