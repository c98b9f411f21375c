import io
import uuid
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.dictionary.models import Variable
from catalog.dictionary.repository import DictionaryRepository
from catalog.nomenclatures.repository import NomenclatureRepository
from catalog.synthetic.generator import Column, Generator, OrderRule, Reference, Schema, Side
from catalog.synthetic.values import text
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
        order_rules={t.name: [_rule(r) for r in t.order_rules] for t in tables.values()},
    )
    for variable in await repository.variables(list(tables)):
        schema.columns[tables[variable.table_id].name].append(column_of(variable))
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


def column_of(variable: Variable) -> Column:
    """The generator's view of a variable: its type and every constraint it declares."""
    extra = variable.extra or {}
    constraints = dict(extra.get("constraints") or {})
    if variable.required:
        constraints["required"] = True
    booleans = {
        name: tuple(str(v) for v in extra[key])
        for name, key in (("true_values", "trueValues"), ("false_values", "falseValues"))
        if isinstance(extra.get(key), list) and extra[key]
    }
    return Column(
        name=variable.name,
        type=variable.type,
        length=variable.length,
        nomenclature=variable.nomenclature,
        format=variable.format or "default",
        constraints=constraints,
        **booleans,  # type: ignore[arg-type]
    )


def _rule(raw: dict[str, Any]) -> OrderRule:
    return OrderRule(
        before=Side(**raw["before"]), after=Side(**raw["after"]), strict=bool(raw.get("strict"))
    )


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
    generated = Generator(schema, rows=rows, seed=seed).table(table)
    return encode(generated, format, schema.columns[table])


def encode(table: pa.Table, format: Format, columns: list[Column] | None = None) -> bytes:
    """Parquet (typed, marked ``hdh:synthetic`` in its metadata), or CSV whose cells are
    written as the columns' Table Schema reads them (formats, true and false values)."""
    buffer = io.BytesIO()
    if format == "csv":
        pa_csv.write_csv(_inert(_as_text(table, columns) if columns else table), buffer)
    else:
        pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _as_text(table: pa.Table, columns: list[Column]) -> pa.Table:
    texts = [
        pa.array([text(column, v) for v in table.column(column.name).to_pylist()], pa.string())
        for column in columns
    ]
    fields = [pa.field(c.name, pa.string(), metadata={b"type": c.type.encode()}) for c in columns]
    return pa.Table.from_arrays(texts, schema=pa.schema(fields))


def _inert(table: pa.Table) -> pa.Table:
    """Text cells a spreadsheet would run as formulas, quoted by a leading ``'``; a number
    written as text (``-1``) is no formula and stays as it is."""
    for index, field in enumerate(table.schema):
        declared = (field.metadata or {}).get(b"type", b"string")
        is_text = pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
        if is_text and declared in (b"string", b"any"):
            column = pc.replace_substring_regex(
                table.column(index), pattern=FORMULA_LEAD, replacement=r"'\1"
            )
            table = table.set_column(index, field, column)
    return table
