"""Synthetic rows generated from a table's schema: every constraint of its Table Schema
(``values``), real nomenclature codes, keys consistent across tables so that a sample of a
child table joins its parent's sample, and the declared order rules between columns.

The value of a key column in row ``i`` is a pure function of (table, column, i, seed). A
foreign-key column takes the value of the referenced column at a row index picked from its
own (table, key, i): the parent's sample of the same size holds that row. A table whose
primary key is a foreign key (one row per parent row) picks row ``i`` itself, so its key
stays unique. Key and unique columns take a distinct value per row (``values.nth``).

Order rules are kept column by column, in their order: a column's value is drawn, then
moved within the bounds that the columns already generated (keys, earlier columns, the
parent row's fields) set on it, directly or through a chain of rules.
"""

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa

from catalog.synthetic.values import Column, cast, free, merged, nth, satisfies

ARROW_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "year": pa.int32(),
}
MAX_DEPTH = 8
PRECISION = {"year": 0, "yearmonth": 1, "date": 2, "datetime": 3}
SLACK_DAYS = 30

__all__ = ["Column", "Generator", "OrderRule", "Reference", "Schema", "Side"]


@dataclass(frozen=True)
class Reference:
    fields: tuple[str, ...]
    table: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Side:
    field: str
    resource: str | None = None


@dataclass(frozen=True)
class OrderRule:
    before: Side
    after: Side
    strict: bool = False


@dataclass
class Schema:
    """The dictionary of one dataset, as the generator needs it."""

    columns: dict[str, list[Column]]
    primary_keys: dict[str, tuple[str, ...]]
    references: dict[str, list[Reference]]
    codes: dict[str, list[str]] = field(default_factory=dict)
    order_rules: dict[str, list[OrderRule]] = field(default_factory=dict)

    def column(self, table: str, name: str) -> Column:
        return next(c for c in self.columns[table] if c.name == name)

    def referencing(self, table: str, name: str) -> list[tuple[str, str]]:
        """The columns whose foreign keys take their values from ``table.name``, through any
        number of tables."""
        found: list[tuple[str, str]] = []
        stack = [(table, name)]
        while stack:
            target = stack.pop()
            for source, references in self.references.items():
                for reference in references:
                    if reference.table != target[0] or target[1] not in reference.reference_fields:
                        continue
                    child = (source, reference.fields[reference.reference_fields.index(target[1])])
                    if child not in found and child != (table, name):
                        found.append(child)
                        stack.append(child)
        return found

    def key_columns(self, table: str) -> set[str]:
        keys = set(self.primary_keys.get(table, ()))
        keys |= {c.name for c in self.columns[table] if c.constraints.get("unique")}
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
        self._values: dict[str, dict[str, list[Any]]] = {}
        self._busy: set[str] = set()
        self._codes: dict[tuple[str, str], list[Any] | None] = {}
        self._families: dict[tuple[str, str], Column] = {}

    def table(self, name: str) -> pa.Table:
        values = self.values(name)
        arrays, fields = [], []
        for column in self.schema.columns[name]:
            arrow_type = ARROW_TYPES.get(column.type, pa.string())
            arrays.append(pa.array(values[column.name], type=arrow_type))
            fields.append(pa.field(column.name, arrow_type))
        metadata = {b"hdh:synthetic": b"true", b"hdh:table": name.encode()}
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata))

    def values(self, table: str) -> dict[str, list[Any]]:
        """Every column of the table's sample, by name (generated once per generator)."""
        if table not in self._values:
            self._busy.add(table)
            try:
                self._values[table] = self._generate(table)
            finally:
                self._busy.discard(table)
        return self._values[table]

    def _generate(self, table: str) -> dict[str, list[Any]]:
        keys = self.schema.key_columns(table)
        done: dict[str, list[Any]] = {}
        for column in self.schema.columns[table]:
            if column.name in keys:
                done[column.name] = [
                    cast(self.key(table, column.name, i, depth=0), column) for i in range(self.rows)
                ]
        for column in self._in_rule_order(table, keys):
            drawn = [self._free(table, column, i) for i in range(self.rows)]
            done[column.name] = self._ordered(table, column, drawn, done)
        return {c.name: done[c.name] for c in self.schema.columns[table]}

    def _in_rule_order(self, table: str, keys: set[str]) -> list[Column]:
        """The table's other columns, each after those its rules put before it."""
        rules = self.schema.order_rules.get(table, [])
        before: dict[str, set[str]] = {}
        for rule in rules:
            if rule.before.resource is None and rule.after.resource is None:
                before.setdefault(rule.after.field, set()).add(rule.before.field)
        placed: list[Column] = []
        seen: set[str] = set(keys)

        def place(column: Column) -> None:
            if column.name in seen:
                return
            seen.add(column.name)
            for name in sorted(before.get(column.name, ())):
                if any(c.name == name for c in self.schema.columns[table]):
                    place(self.schema.column(table, name))
            placed.append(column)

        for column in self.schema.columns[table]:
            place(column)
        return placed

    def key(self, table: str, name: str, row: int, *, depth: int) -> Any:
        """The value of key column ``table.name`` in row ``row`` of any sample of this size."""
        if depth < MAX_DEPTH:
            for index, reference in enumerate(self.schema.references.get(table, [])):
                if name in reference.fields and reference.table in self.schema.columns:
                    target = reference.reference_fields[reference.fields.index(name)]
                    picked = self._pick(table, index, row)
                    return self.key(reference.table, target, picked, depth=depth + 1)
        column = self._family(table, name)
        codes = self._allowed_codes(table, column)
        if codes and len(self.schema.primary_keys.get(table, ())) > 1:
            # a coded part of a composite key (a rank, a type): its codes, in turn
            return codes[row % len(codes)]
        return nth(column, row)

    def _family(self, table: str, name: str) -> Column:
        """The key column with the constraints of every column whose foreign key takes its
        values, so that each of them keeps its own."""
        if (table, name) not in self._families:
            found = self.schema.column(table, name)
            for child, column in self.schema.referencing(table, name):
                found = merged(found, self.schema.column(child, column))
            self._families[(table, name)] = found
        return self._families[(table, name)]

    def _pick(self, table: str, index: int, row: int) -> int:
        """The parent row that reference ``index`` of ``table`` points to from row ``row``."""
        reference = self.schema.references[table][index]
        if set(reference.fields) == set(self.schema.primary_keys.get(table, ())):
            return row
        return self._hash(table, str(index), str(row)) % self.rows

    def _free(self, table: str, column: Column, row: int) -> Any:
        rng = random.Random(self._hash(table, column.name, str(row)))
        codes = self._allowed_codes(table, column)
        if codes:
            return rng.choice(codes)
        return free(column, rng)

    def _allowed_codes(self, table: str, column: Column) -> list[Any] | None:
        """The column's nomenclature codes that keep its constraints, in its type; a calendar
        (a date's dimension table) is no list."""
        key = (table, column.name)
        if key not in self._codes:
            found = None
            if column.type not in ("date", "datetime"):
                name = (column.nomenclature or "").split(":")[0]
                codes = [cast(code, column) for code in self.schema.codes.get(name, [])]
                found = [c for c in codes if c is not None and satisfies(column, c)] or None
            self._codes[key] = found
        return self._codes[key]

    def _ordered(
        self, table: str, column: Column, drawn: list[Any], done: dict[str, list[Any]]
    ) -> list[Any]:
        bounds = list(self._bounds(table, column, done))
        if not bounds:
            return drawn
        kept = []
        for row, value in enumerate(drawn):
            rng = random.Random(self._hash(table, column.name, str(row), "order"))
            limits = [(way, value_of(row), kind, strict) for way, value_of, kind, strict in bounds]
            kept.append(_within(value, column, limits, rng))
        return kept

    def _bounds(
        self, table: str, column: Column, done: dict[str, list[Any]]
    ) -> Iterator[tuple[str, Any, str, bool]]:
        """(``low`` or ``high``, the bound's value by row, its type, strict) for each side
        already generated that a chain of rules orders against ``column``."""
        for direction in ("low", "high"):
            for side, strict in self._reached(table, column.name, direction, done):
                found = self._side(table, side, done)
                if found is not None:
                    yield (direction, found[0], found[1], strict)

    def _reached(
        self, table: str, name: str, direction: str, done: dict[str, list[Any]]
    ) -> list[tuple[Side, bool]]:
        """The sides already known that reach ``name`` (low) or that it reaches (high)."""
        rules = self.schema.order_rules.get(table, [])
        found: list[tuple[Side, bool]] = []
        stack, seen = [(Side(name), True)], {name}
        while stack:
            current, direct = stack.pop()
            for rule in rules:
                near, far = (
                    (rule.after, rule.before)
                    if direction == "low"
                    else (
                        rule.before,
                        rule.after,
                    )
                )
                if near != current:
                    continue
                if far.resource is not None or far.field in done:
                    found.append((far, rule.strict and direct))
                elif far.field not in seen:
                    seen.add(far.field)
                    stack.append((far, False))
        return found

    def _side(self, table: str, side: Side, done: dict[str, list[Any]]) -> tuple[Any, str] | None:
        """A function of the row giving the side's value, and the side's type."""
        if side.resource is None:
            values = done[side.field]
            return values.__getitem__, self.schema.column(table, side.field).type
        references = self.schema.references.get(table, [])
        index = next((i for i, r in enumerate(references) if r.table == side.resource), None)
        if index is None or side.resource in self._busy or side.resource not in self.schema.columns:
            return None
        parent = self.values(side.resource)
        if side.field not in parent:
            return None
        values = parent[side.field]
        kind = self.schema.column(side.resource, side.field).type
        return (lambda row: values[self._pick(table, index, row)]), kind

    def _hash(self, *parts: str) -> int:
        digest = hashlib.blake2b("|".join((str(self.seed), *parts)).encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big")


def _within(
    value: Any, column: Column, limits: list[tuple[str, Any, str, bool]], rng: random.Random
) -> Any:
    """``value`` moved (a little past the bound, for a plausible gap) within the limits."""
    point = _point(value, column.type)
    if point is None:
        return value
    low = high = None
    for direction, bound, kind, strict in limits:
        other = _point(bound, kind)
        if other is None:
            continue
        precision = min(PRECISION.get(kind, 9), PRECISION.get(column.type, 9))
        if direction == "low":
            limit = _next(other, precision, column) if strict else other
            low = limit if low is None else max(low, limit)
        else:
            limit = _previous(other, precision, column) if strict else other
            high = limit if high is None else min(high, limit)
    if low is not None and point < low:
        point = _plus(low, rng)
        point = min(point, high) if high is not None and high >= low else point
    if high is not None and point > high:
        point = _minus(high, rng)
        point = max(point, low) if low is not None and low <= high else point
    return _value(point, column.type)


def _point(value: Any, kind: str) -> Any:
    """A comparable form: a datetime for temporal values, a number for numbers."""
    if value is None:
        return None
    if kind in ("integer", "number"):
        return value
    if kind == "year":
        return datetime(int(value), 1, 1)
    if kind == "yearmonth":
        year, _, month = str(value).partition("-")
        return datetime(int(year), int(month), 1)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _value(point: Any, kind: str) -> Any:
    if kind == "year":
        return point.year
    if kind == "yearmonth":
        return f"{point.year:04d}-{point.month:02d}"
    if kind == "date":
        return point.date()
    if kind == "datetime":
        return point.replace(microsecond=0)
    return point


def _floor(point: datetime, precision: int) -> datetime:
    if precision == 0:
        return datetime(point.year, 1, 1)
    if precision == 1:
        return datetime(point.year, point.month, 1)
    if precision == 2:
        return datetime(point.year, point.month, point.day)
    return point.replace(microsecond=0)


def _next(point: Any, precision: int, column: Column) -> Any:
    """The first value after ``point`` at ``precision`` (the coarser of the two sides)."""
    if not isinstance(point, datetime):
        return point + (1 if column.type == "integer" else 0.01)
    start = _floor(point, precision)
    if precision == 0:
        return datetime(start.year + 1, 1, 1)
    if precision == 1:
        return datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + (timedelta(days=1) if precision == 2 else timedelta(seconds=1))


def _previous(point: Any, precision: int, column: Column) -> Any:
    """The last value before ``point`` at ``precision``."""
    if not isinstance(point, datetime):
        return point - (1 if column.type == "integer" else 0.01)
    return _floor(point, precision) - timedelta(microseconds=1)


def _plus(point: Any, rng: random.Random) -> Any:
    if isinstance(point, datetime):
        return point + timedelta(days=rng.randint(0, SLACK_DAYS))
    return point


def _minus(point: Any, rng: random.Random) -> Any:
    if isinstance(point, datetime):
        return point - timedelta(days=rng.randint(0, SLACK_DAYS))
    return point
