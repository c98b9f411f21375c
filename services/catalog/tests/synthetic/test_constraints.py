"""Acceptance 4 of issue 17: the synthetic sample of every SNDS table keeps every constraint
its declared Table Schema holds (types, formats, enum, bounds, lengths, unique, primary key),
as frictionless, the reference implementation, reads it; its foreign keys find their rows in
the referenced tables' samples; and no row breaks an order rule the dictionary declares.

The samples come from the dictionary the catalogue stored (``load_schema``), generated in
process: one schema load for the 188 tables instead of one per request (the route itself
is tested in ``test_samples``).
"""

import asyncio
import copy
import io
import uuid
from datetime import date, datetime
from typing import Any

import frictionless
import pyarrow as pa
import pyarrow.csv as pa_csv

from catalog.db import SCHEMA
from catalog.synthetic.generator import Generator
from catalog.synthetic.service import encode, load_schema
from hdh_common.db import create_engine, create_sessionmaker

from ..snds import Snds, table_schemas

ROWS = 40
SEED = 11
PRECISION = {"year": 1, "yearmonth": 2, "date": 3, "datetime": 6}


def declared(schema: dict[str, Any]) -> frictionless.Schema:
    """The SNDS Table Schema as published, less what frictionless refuses to read in it (an
    upper-case name, a note among the constraints) and the references to other tables."""
    descriptor = copy.deepcopy(schema)
    for key in ("name", "foreignKeys", "orderRules"):
        descriptor.pop(key, None)
    for field in descriptor["fields"]:
        field.get("constraints", {}).pop("description", None)
    return frictionless.Schema.from_descriptor(descriptor)


def errors_of(schema: dict[str, Any], content: bytes) -> list[list[Any]]:
    resource = frictionless.Resource(data=content, format="csv", schema=declared(schema))
    report = frictionless.validate(resource)
    return list(report.flatten(["type", "rowNumber", "fieldName", "note"]))[:3]


def as_text(content: bytes) -> dict[str, list[Any]]:
    names = pa_csv.read_csv(io.BytesIO(content)).column_names
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return pa_csv.read_csv(io.BytesIO(content), convert_options=convert).to_pydict()


def keys_missing(
    tables: dict[str, dict[str, Any]], texts: dict[str, dict[str, list[Any]]], name: str
) -> list[str]:
    """The foreign keys of ``name`` whose values are not all keys of the referenced sample."""
    missing = []
    for key in tables[name].get("foreignKeys", []):
        fields, reference = _names(key["fields"]), key["reference"]
        parent = texts[reference.get("resource") or name]
        held = set(zip(*(parent[f] for f in _names(reference["fields"])), strict=True))
        wanted = set(zip(*(texts[name][f] for f in fields), strict=True))
        if not wanted <= held:
            missing.append(f"{name}{fields} -> {reference.get('resource')}")
    return missing


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def instant(value: Any, kind: str, precision: int) -> Any:
    """A comparable form of a value, cut to ``precision`` parts (year, month, day, ...)."""
    if kind in ("integer", "number"):
        return value
    if kind == "year":
        parts: tuple[int, ...] = (int(value),)
    elif kind == "yearmonth":
        parts = tuple(int(p) for p in str(value).split("-"))
    elif isinstance(value, datetime):
        parts = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    else:
        assert isinstance(value, date), (value, kind)
        parts = (value.year, value.month, value.day)
    return parts[:precision]


class Rows:
    """Typed samples by table, and the parent row a foreign key of a child row points to."""

    def __init__(
        self, tables: dict[str, dict[str, Any]], rules: dict[str, list[dict[str, Any]]]
    ) -> None:
        self.tables = tables
        self.rules = rules
        self.typed: dict[str, dict[str, list[Any]]] = {}

    def kind(self, table: str, field: str) -> str:
        return str(next(f["type"] for f in self.tables[table]["fields"] if f["name"] == field))

    def side(self, table: str, side: dict[str, Any], row: int) -> tuple[Any, str]:
        if side.get("resource") is None:
            return self.typed[table][side["field"]][row], self.kind(table, side["field"])
        parent = side["resource"]
        key = next(
            k for k in self.tables[table]["foreignKeys"] if k["reference"]["resource"] == parent
        )
        wanted = tuple(str(self.typed[table][f][row]) for f in _names(key["fields"]))
        columns = [self.typed[parent][f] for f in _names(key["reference"]["fields"])]
        found = next(i for i in range(ROWS) if tuple(str(c[i]) for c in columns) == wanted)
        return self.typed[parent][side["field"]][found], self.kind(parent, side["field"])

    def broken(self, table: str) -> list[str]:
        found = []
        for rule in self.rules[table]:
            for row in range(ROWS):
                (first, kind_1), (then, kind_2) = (
                    self.side(table, rule[end], row) for end in ("before", "after")
                )
                if first is None or then is None:
                    continue
                precision = min(PRECISION.get(kind_1, 9), PRECISION.get(kind_2, 9))
                first, then = instant(first, kind_1, precision), instant(then, kind_2, precision)
                if first > then or (rule["strict"] and first == then):
                    found.append(f"{table} row {row + 1}: {rule}: {first} then {then}")
        return found


async def test_every_snds_sample_keeps_its_schema_keys_and_order_rules(
    snds: Snds, snds_database: str
) -> None:
    tables = {schema["name"]: schema for schema in table_schemas()}
    assert len(tables) == 188
    engine = create_engine(snds_database, schema=SCHEMA)
    try:
        async with create_sessionmaker(engine)() as session:
            schema = await load_schema(session, uuid.UUID(snds.dataset_id))
    finally:
        await engine.dispose()
    generator = Generator(schema, rows=ROWS, seed=SEED)
    generated = {name: generator.table(name) for name in tables}
    csvs = {name: encode(generated[name], "csv", schema.columns[name]) for name in tables}

    errors = await asyncio.to_thread(
        lambda: {n: e for n in tables if (e := errors_of(tables[n], csvs[n]))}
    )
    assert errors == {}
    texts = {name: as_text(content) for name, content in csvs.items()}
    assert [m for name in tables for m in keys_missing(tables, texts, name)] == []

    rules = {
        name: [
            {
                "before": vars(rule.before),
                "after": vars(rule.after),
                "strict": rule.strict,
            }
            for rule in schema.order_rules[name]
        ]
        for name in tables
    }
    ordered = [name for name in tables if rules[name]]
    assert len(ordered) >= 40
    assert sum(len(rules[name]) for name in ordered) >= 120
    assert any(r["before"]["resource"] == "IR_BEN_R" for name in ordered for r in rules[name])
    checks = Rows(tables, rules)
    checks.typed = {name: table.to_pydict() for name, table in generated.items()}
    assert [b for name in ordered for b in checks.broken(name)][:10] == []
