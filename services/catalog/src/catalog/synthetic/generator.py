"""Synthetic rows generated from a table's schema: plausible types, real nomenclature codes,
and keys consistent across tables, so a sample of a child table joins its parent's sample.

The value of a key column in row ``i`` is a pure function of (table, column, i, seed). A
foreign-key column takes the value of the referenced column at a row index picked from its
own (table, key, i): the parent's sample of the same size holds that row.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa

START = date(2015, 1, 1)
ARROW_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "year": pa.int32(),
}
MAX_DEPTH = 8


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    length: int | None = None
    nomenclature: str | None = None


@dataclass(frozen=True)
class Reference:
    fields: tuple[str, ...]
    table: str
    reference_fields: tuple[str, ...]


@dataclass
class Schema:
    """The dictionary of one dataset, as the generator needs it."""

    columns: dict[str, list[Column]]
    primary_keys: dict[str, tuple[str, ...]]
    references: dict[str, list[Reference]]
    codes: dict[str, list[str]] = field(default_factory=dict)

    def key_columns(self, table: str) -> set[str]:
        keys = set(self.primary_keys.get(table, ()))
        for source, references in self.references.items():
            for reference in references:
                keys |= set(reference.fields) if source == table else set()
                if reference.table == table:
                    keys |= set(reference.reference_fields)
        return keys


class Generator:
    def __init__(self, schema: Schema, *, rows: int, seed: int) -> None:
        self.schema = schema
        self.rows = rows
        self.seed = seed

    def table(self, name: str) -> pa.Table:
        keys = self.schema.key_columns(name)
        arrays, fields = [], []
        for column in self.schema.columns[name]:
            values = [self._value(name, column, i, keys) for i in range(self.rows)]
            arrow_type = ARROW_TYPES.get(column.type, pa.string())
            arrays.append(pa.array(values, type=arrow_type))
            fields.append(pa.field(column.name, arrow_type))
        metadata = {b"hdh:synthetic": b"true", b"hdh:table": name.encode()}
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata))

    def _value(self, table: str, column: Column, row: int, keys: set[str]) -> Any:
        if column.name in keys:
            return _cast(self.key(table, column.name, row, depth=0), column)
        return self._free(table, column, row)

    def key(self, table: str, name: str, row: int, *, depth: int) -> Any:
        """The value of key column ``table.name`` in row ``row`` of any sample of this size."""
        if depth < MAX_DEPTH:
            for index, reference in enumerate(self.schema.references.get(table, [])):
                if name in reference.fields and reference.table in self.schema.columns:
                    target = reference.reference_fields[reference.fields.index(name)]
                    picked = self._hash(table, str(index), str(row)) % self.rows
                    return self.key(reference.table, target, picked, depth=depth + 1)
        column = next(c for c in self.schema.columns[table] if c.name == name)
        codes = self._codes(column)
        if codes and len(self.schema.primary_keys.get(table, ())) > 1:
            # a coded part of a composite key (a rank, a type): its codes, in turn
            return codes[row % len(codes)]
        return _base(column, row)

    def _free(self, table: str, column: Column, row: int) -> Any:
        rng = random.Random(self._hash(table, column.name, str(row)))
        codes = self._codes(column)
        if codes:
            return _cast(rng.choice(codes), column)
        return _random(column, rng)

    def _codes(self, column: Column) -> list[str] | None:
        """The column's nomenclature codes; a calendar (a date's dimension table) is no list."""
        if column.type in ("date", "datetime"):
            return None
        return self.schema.codes.get((column.nomenclature or "").split(":")[0])

    def _hash(self, *parts: str) -> int:
        digest = hashlib.blake2b("|".join((str(self.seed), *parts)).encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big")


def _base(column: Column, row: int) -> Any:
    if column.type == "integer" or column.type == "year":
        return row + 1
    if column.type == "number":
        return float(row + 1)
    if column.type == "date":
        return START + timedelta(days=row)
    if column.type == "datetime":
        return datetime(2015, 1, 1) + timedelta(minutes=row)
    if column.type == "boolean":
        return row % 2 == 0
    return f"S{row + 1:0{max(len(str(row + 1)), 6)}d}"


def _random(column: Column, rng: random.Random) -> Any:
    kind = column.type
    if kind == "integer":
        return rng.randint(0, 10 ** min(column.length or 3, 6) - 1)
    if kind == "number":
        return round(rng.uniform(0, 1000), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "date":
        return START + timedelta(days=rng.randint(0, 3000))
    if kind == "datetime":
        return datetime(2015, 1, 1) + timedelta(seconds=rng.randint(0, 3000 * 86400))
    if kind == "year":
        return rng.randint(2010, 2023)
    if kind == "yearmonth":
        return f"{rng.randint(2010, 2023)}-{rng.randint(1, 12):02d}"
    width = max(1, min(column.length or 8, 12))
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(width))


def _cast(value: Any, column: Column) -> Any:
    """A value of the column's type (a key or code may come from a column of another type)."""
    try:
        if column.type in ("integer", "year"):
            return int(value) if not isinstance(value, date) else value.toordinal()
        if column.type == "number":
            return float(value) if not isinstance(value, date) else float(value.toordinal())
        if column.type == "boolean":
            return bool(value)
        if column.type == "date":
            return value if isinstance(value, date) else START + timedelta(days=hash_int(value))
        if column.type == "datetime":
            return value if isinstance(value, datetime) else datetime(2015, 1, 1)
    except (TypeError, ValueError):
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def hash_int(value: object) -> int:
    return int.from_bytes(hashlib.blake2b(str(value).encode(), digest_size=2).digest(), "big")
