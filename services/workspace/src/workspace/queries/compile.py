# ruff: noqa: S608  (identifiers from the table metadata, quoted; values are bound)
"""A structured request compiled to DuckDB SQL, or to Spark SQL (:data:`SPARK`).

Identifiers come only from the registered table metadata and are quoted; the project tables
are reachable only as the views ``t0``, ``t1``… the engine registers; every value from the
request (filter values, bins) is a bound parameter. Cells are computed in two steps: per
person and cell (``GROUP BY pseudonym, CUBE(keys)``, so the margins and the total come out
too), then per cell, which gives each cell its distinct persons and, for each magnitude
column, its total and its two largest contributions per person for the dominance rules.
Quantiles are computed on the rows in a second ``CUBE`` joined on the cell. The two dialects
differ only in the spelling of a few functions (:class:`Dialect`); both take ``?`` parameters.
"""

from dataclasses import dataclass, field

from workspace.queries.errors import InvalidQuery, MeasureRefused, UnknownColumn, UnknownTable
from workspace.queries.schemas import (
    MAGNITUDES,
    Filter,
    GroupBy,
    Measure,
    ProjectTable,
    QueryRequest,
    Scalar,
)

QUANTILES = {"median": 0.5, "p25": 0.25, "p75": 0.75}
MAX_IN_VALUES = 100


@dataclass(frozen=True)
class Dialect:
    quote_char: str
    grouping: str
    """The function of the bit mask of the ``CUBE``'s rolled-up keys, first key highest."""
    grouping_all: bool
    """Whether it names every grouping column (Spark's ``grouping_id``), not only the
    ``CUBE``'s: the extra one, never rolled up, is then a leading 0 bit."""
    top_two: str
    """The two largest values of ``{}`` in the group, largest first."""
    quantile: str
    """The interpolated quantile ``{1}`` of ``{0}``."""

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q


DUCKDB = Dialect(
    quote_char='"',
    grouping="GROUPING",
    grouping_all=False,
    top_two="max({}, 2)",
    quantile="quantile_cont({}, {})",
)
SPARK = Dialect(
    quote_char="`",
    grouping="grouping_id",
    grouping_all=True,
    top_two="slice(sort_array(collect_list({}), false), 1, 2)",
    quantile="percentile({}, {})",
)


@dataclass
class CompiledQuery:
    sql: str
    params: list[Scalar]
    views: dict[str, ProjectTable]
    keys: list[str]
    magnitudes: list[str] = field(default_factory=list)
    """Numeric columns (as ``v<i>``) measured by sum or mean, and ``rows`` if rows are counted:
    they carry dominance figures and are rounded."""
    values: dict[str, str] = field(default_factory=dict)
    """Measure name → the result column holding it."""


class _Resolver:
    def __init__(
        self, request: QueryRequest, tables: dict[str, ProjectTable], dialect: Dialect
    ) -> None:
        self.quote = dialect.quote
        if len(set(request.tables)) != len(request.tables):
            raise InvalidQuery("A table is named twice.")
        unknown = [name for name in request.tables if name not in tables]
        if unknown:
            raise UnknownTable(f"No table {unknown[0]!r} in this project.")
        self.tables = [tables[name] for name in request.tables]

    def column(self, table: str | None, column: str, *, numeric: bool = False) -> str:
        holders = [
            (i, t)
            for i, t in enumerate(self.tables)
            if column in t.columns and (table is None or t.name == table)
        ]
        if not holders:
            where = f"table {table!r}" if table else "the queried tables"
            raise UnknownColumn(f"No column {column!r} in {where}.")
        index, holder = holders[0]
        if len(holders) > 1 and column != holder.pseudonym:
            raise InvalidQuery(f"Column {column!r} is in several tables: name its table.")
        if holder.columns[column] == "pseudonym":
            raise InvalidQuery("Pseudonyms are never filtered, grouped or measured.")
        if numeric and holder.columns[column] != "numeric":
            raise InvalidQuery(f"Column {column!r} is not numeric.")
        return f"t{index}.{self.quote(column)}"

    def source(self) -> str:
        first = f"t0.{self.quote(self.tables[0].pseudonym)}"
        joins = [
            f"JOIN t{i} ON t{i}.{self.quote(t.pseudonym)} = {first}"
            for i, t in enumerate(self.tables)
            if i
        ]
        return " ".join(["FROM t0", *joins])


def _condition(ref: str, condition: Filter, params: list[Scalar]) -> str:
    value = condition.value
    if condition.op in ("in", "between"):
        expected = 2 if condition.op == "between" else None
        if not isinstance(value, list) or not value or len(value) > MAX_IN_VALUES:
            raise InvalidQuery(f"{condition.op!r} takes a list of 1 to {MAX_IN_VALUES} values.")
        if expected and len(value) != expected:
            raise InvalidQuery("'between' takes two values.")
        params.extend(value)
        if condition.op == "between":
            return f"{ref} BETWEEN ? AND ?"
        return f"{ref} IN ({', '.join('?' for _ in value)})"
    if isinstance(value, list):
        raise InvalidQuery(f"{condition.op!r} takes one value.")
    params.append(value)
    return f"{ref} {'<>' if condition.op == '!=' else condition.op} ?"


def _key(resolver: _Resolver, group: GroupBy, params: list[Scalar]) -> str:
    ref = resolver.column(group.table, group.column, numeric=group.bins is not None)
    if group.bins is None:
        return ref
    params.extend([group.bins.origin, group.bins.width, group.bins.width, group.bins.origin])
    return f"floor(({ref} - ?) / ?) * ? + ?"


def _check_measure(measure: Measure) -> None:
    if measure.kind in ("min", "max"):
        raise MeasureRefused(
            "An exact minimum or maximum is one person's value: ask for quantiles instead."
        )
    needs_column = measure.kind not in ("persons", "count")
    if needs_column != (measure.column is not None):
        wants = "needs a" if needs_column else "takes no"
        raise InvalidQuery(f"Measure {measure.kind!r} {wants} column.")


def compile_query(
    request: QueryRequest, tables: dict[str, ProjectTable], dialect: Dialect = DUCKDB
) -> CompiledQuery:
    resolver = _Resolver(request, tables, dialect)
    params: list[Scalar] = []
    keys = [_key(resolver, group, params) for group in request.group_by]
    select = [f"t0.{resolver.quote(resolver.tables[0].pseudonym)} AS pid"]
    select += [f"{expr} AS k{i}" for i, expr in enumerate(keys)]
    compiled = CompiledQuery(
        sql="",
        params=[],
        views={f"t{i}": t for i, t in enumerate(resolver.tables)},
        keys=[f"k{i}" for i in range(len(keys))],
    )
    numeric: dict[str, str] = {}
    for measure in request.measures:
        _check_measure(measure)
        if measure.column is not None:
            ref = resolver.column(measure.table, measure.column, numeric=True)
            numeric.setdefault(ref, f"v{len(numeric)}")
            if measure.kind in MAGNITUDES and numeric[ref] not in compiled.magnitudes:
                compiled.magnitudes.append(numeric[ref])
    if any(measure.kind == "count" for measure in request.measures):
        compiled.magnitudes.append("rows")  # rows per person: a magnitude too
    select += [f"CAST({ref} AS DOUBLE) AS {alias}" for ref, alias in numeric.items()]
    where = [_condition(resolver.column(f.table, f.column), f, params) for f in request.filters]
    base = f"SELECT {', '.join(select)} {resolver.source()}"
    if where:
        base += " WHERE " + " AND ".join(where)
    compiled.values = _value_columns(request.measures, numeric, resolver)
    compiled.sql = _cells_sql(base, compiled, list(numeric.values()), request.measures, dialect)
    compiled.params = params
    return compiled


def _value_columns(
    measures: list[Measure], numeric: dict[str, str], resolver: _Resolver
) -> dict[str, str]:
    columns = {}
    for measure in measures:
        if measure.column is None:
            columns[measure.name] = "persons" if measure.kind == "persons" else "rows"
            continue
        alias = numeric[resolver.column(measure.table, measure.column)]
        columns[measure.name] = f"{measure.kind}_{alias}" if measure.kind in QUANTILES else alias
    return columns


def _grouping(keys: list[str], dialect: Dialect, *, extra: str = "") -> tuple[str, str]:
    """The ``GROUPING`` id and the ``GROUP BY`` clause of a cube over ``keys``."""
    if not keys:
        return "0", f"GROUP BY {extra}" if extra else ""
    cube = f"CUBE({', '.join(keys)})"
    named = [extra, *keys] if extra and dialect.grouping_all else keys
    grouping = f"{dialect.grouping}({', '.join(named)})"
    return grouping, f"GROUP BY {extra + ', ' if extra else ''}{cube}"


def _cells_sql(
    base: str,
    compiled: CompiledQuery,
    values: list[str],
    measures: list[Measure],
    dialect: Dialect,
) -> str:
    keys = compiled.keys
    grouping, by = _grouping(keys, dialect, extra="pid")
    person_cols = [*keys, f"{grouping} AS g", "count(*) AS n"]
    person_cols += [f"sum({v}) AS {v}, count({v}) AS {v}_n" for v in values]
    cell_cols = ["g", *keys, "count(*) AS persons", "sum(n) AS rows"]
    cell_cols += [f"sum({v}) AS {v}, sum({v}_n) AS {v}_n" for v in values]
    for v in compiled.magnitudes:
        source = "n" if v == "rows" else v
        top_two = dialect.top_two.format(f"abs({source})")
        cell_cols += [f"sum(abs({source})) AS {v}_abs", f"{top_two} AS {v}_top"]
    sql = (
        f"WITH base AS ({base}), "
        f"person AS (SELECT {', '.join(person_cols)} FROM base {by}), "
        f"cells AS (SELECT {', '.join(cell_cols)} FROM person GROUP BY {', '.join(['g', *keys])})"
    )
    quantiles = [
        f"{dialect.quantile.format(column.split('_', 1)[1], QUANTILES[m.kind])} AS {column}"
        for m in measures
        if m.kind in QUANTILES and (column := compiled.values[m.name])
    ]
    if not quantiles:
        return f"{sql} SELECT * FROM cells"
    grouping, by = _grouping(keys, dialect)
    quantile_cols = [f"{grouping} AS g", *keys, *dict.fromkeys(quantiles)]
    on = " AND ".join(["cells.g = q.g", *(f"cells.{k} IS NOT DISTINCT FROM q.{k}" for k in keys)])
    extra = ", ".join(f"q.{c.rsplit(' AS ', 1)[1]}" for c in dict.fromkeys(quantiles))
    return (
        f"{sql}, q AS (SELECT {', '.join(quantile_cols)} FROM base {by}) "
        f"SELECT cells.*, {extra} FROM cells JOIN q ON {on}"
    )
