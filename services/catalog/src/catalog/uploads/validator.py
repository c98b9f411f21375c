"""Validation of an uploaded file against its table's schema, in record batches.

Memory is bounded by the batch size, not the file: values are read as text batch by
batch, checked (type, required, nomenclature code, primary-key uniqueness, encoding,
delimiter and ragged rows), converted to the declared types and appended to a Parquet
(zstd) file. Primary-key hashes are spilled to disk by hash partition and checked at the
end one partition at a time.
"""

import io
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

BLOCK_SIZE = 16 * 1024 * 1024
PARTITIONS = 128
MAX_CATEGORIES = 200
_PATTERNS = {
    "integer": r"^[+-]?\d+$",
    "number": r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$",
    "year": r"^\d{4}$",
    "yearmonth": r"^\d{4}-(0[1-9]|1[0-2])$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "datetime": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
}
_TRUE = ["true", "True", "TRUE", "1", "t", "T", "oui", "O"]
_FALSE = ["false", "False", "FALSE", "0", "f", "F", "non", "N"]
_ARROW = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "year": pa.int32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}


@dataclass(frozen=True)
class ColumnRule:
    name: str
    type: str
    required: bool = False
    codes: frozenset[str] | None = None


@dataclass(frozen=True)
class TableRules:
    columns: tuple[ColumnRule, ...]
    primary_key: tuple[str, ...] = ()
    identifiers: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    max_errors: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0

    def add(self, rule: str, *, row: int | None, column: str | None, value: object) -> None:
        self.counts[f"{rule}:{column}" if column else rule] += 1
        if len(self.errors) < self.max_errors:
            self.errors.append({"row": row, "column": column, "value": value, "rule": rule})

    @property
    def ok(self) -> bool:
        return not self.counts


@dataclass
class Outcome:
    report: Report
    statistics: dict[str, dict[str, Any]]
    parquet: Path | None


def csv_batches(
    source: IO[bytes], *, delimiter: str, report: Report, columns: list[str]
) -> Iterator[pa.RecordBatch]:
    """Record batches of text, one block of whole lines at a time.

    The file is cut at line ends into blocks parsed one by one (a value may not hold a line
    break), so memory stays bounded by the block size whatever the file's size.
    """
    header = source.readline()
    names = pa_csv.read_csv(
        io.BytesIO(header), parse_options=pa_csv.ParseOptions(delimiter=delimiter)
    ).column_names
    line = 1

    def ragged(row: Any) -> str:
        report.add(
            "ragged-row",
            row=line + (row.number or 0) - 1,
            column=None,
            value=f"{row.actual_columns} fields, {row.expected_columns} expected",
        )
        return "skip"

    options = {
        "read_options": pa_csv.ReadOptions(column_names=names, use_threads=False),
        "parse_options": pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=ragged),
        "convert_options": pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
    while block := source.read(BLOCK_SIZE):
        if not block.endswith(b"\n"):
            block += source.readline()
        yield from pa_csv.read_csv(io.BytesIO(block), **options).to_batches()
        line += block.count(b"\n")


class Validator:
    def __init__(self, rules: TableRules, *, workdir: Path, max_errors: int) -> None:
        self.rules = rules
        self.workdir = workdir
        self.report = Report(max_errors=max_errors)
        self.writer: pq.ParquetWriter | None = None
        self.parquet = workdir / "data.parquet"
        self.schema = pa.schema(
            [pa.field(c.name, _ARROW.get(c.type, pa.string())) for c in rules.columns]
        )
        self.stats = {c.name: _Stats() for c in rules.columns}
        self.codes = {
            c.name: pa.array(sorted(c.codes), pa.string())
            for c in rules.columns
            if c.codes is not None
        }
        self.spill: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        self._base = pa.array([], pa.int64())

    def run(self, batches: Iterator[pa.RecordBatch]) -> Outcome:
        try:
            for batch in batches:
                self._batch(batch)
        except _Stop:
            pass
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            self.report.add(_rule_of(exc), row=None, column=None, value=str(exc)[:300])
        finally:
            for writer in self.spill.values():
                writer.close()
            if self.writer is not None:
                self.writer.close()
        self._check_keys()
        statistics = {name: s.summary() for name, s in self.stats.items()}
        return Outcome(self.report, statistics, self.parquet if self.report.ok else None)

    def _batch(self, batch: pa.RecordBatch) -> None:
        first = self.report.rows == 0
        if first and not self._check_header(batch.schema.names):
            raise _Stop
        offset = self.report.rows
        self.report.rows += batch.num_rows
        text = {name: _as_text(batch.column(name)) for name in batch.schema.names}
        typed = [self._column(rule, text[rule.name], offset) for rule in self.rules.columns]
        self._keys(text, offset)
        if self.report.ok:
            table = pa.Table.from_arrays(typed, schema=self.schema)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.parquet, self.schema, compression="zstd")
            self.writer.write_table(table)

    def _check_header(self, names: list[str]) -> bool:
        expected = [c.name for c in self.rules.columns]
        before = sum(self.report.counts.values())
        for missing in [n for n in expected if n not in names]:
            self.report.add("missing-column", row=None, column=missing, value=None)
        for extra in [n for n in names if n not in expected]:
            self.report.add("unknown-column", row=None, column=extra, value=None)
        return sum(self.report.counts.values()) == before

    def _column(self, rule: ColumnRule, values: pa.Array, offset: int) -> pa.Array:
        empty = pc.equal(values, "")
        missing = empty.true_count
        if rule.required and missing:
            self._flag(values, empty, "required", rule.name, offset)
        nulled = pc.if_else(empty, _NO_TEXT, values) if missing else values
        typed, invalid = _parse(nulled, rule.type)
        if invalid is not None:
            self._flag(values, invalid, f"type:{rule.type}", rule.name, offset)
        if rule.codes is not None:
            coded = pc.is_in(nulled, value_set=self.codes[rule.name])
            unknown = pc.and_(pc.is_valid(typed), pc.invert(coded))
            if unknown.true_count:
                self._flag(values, unknown, "nomenclature", rule.name, offset)
        self.stats[rule.name].add(typed, nulled if rule.codes is not None else None, missing)
        if not self.report.ok:
            return pa.nulls(len(values), _ARROW.get(rule.type, pa.string()))
        return typed

    def _flag(self, values: pa.Array, mask: pa.Array, rule: str, column: str, offset: int) -> None:
        if not pc.any(mask).as_py():
            return
        indices = pc.indices_nonzero(mask)
        self.report.counts[f"{rule}:{column}"] += len(indices)
        room = max(0, self.report.max_errors - len(self.report.errors))
        for position in indices.to_pylist()[:room]:
            self.report.errors.append(
                {
                    "row": offset + position + 1,
                    "column": column,
                    "value": values[position].as_py(),
                    "rule": rule,
                }
            )

    def _keys(self, text: dict[str, pa.Array], offset: int) -> None:
        names = self.rules.primary_key
        if not names or any(n not in text for n in names):
            return
        keys = pc.binary_join_element_wise(*(text[n] for n in names), "\x1f")
        rows = pc.add(self._positions(len(keys)), offset + 1)
        partition = _partition_of(keys)
        order = pc.sort_indices(partition)
        batch = pa.record_batch([keys, rows], schema=_KEYS).take(order)
        start = 0
        counts = {item["values"]: item["counts"] for item in pc.value_counts(partition).to_pylist()}
        for index in sorted(counts):
            self._spill_writer(index).write_batch(batch.slice(start, counts[index]))
            start += counts[index]

    def _positions(self, length: int) -> pa.Array:
        if len(self._base) < length:
            self._base = pa.array(range(max(length, 2 * len(self._base))), pa.int64())
        return self._base.slice(0, length)

    def _spill_writer(self, index: int) -> pa.ipc.RecordBatchFileWriter:
        if index not in self.spill:
            path = self.workdir / f"keys-{index:02d}.arrow"
            self.spill[index] = pa.ipc.new_file(str(path), _KEYS)
        return self.spill[index]

    def _check_keys(self) -> None:
        column = "+".join(self.rules.primary_key)
        for index in sorted(self.spill):
            pa.default_memory_pool().release_unused()
            path = self.workdir / f"keys-{index:02d}.arrow"
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            if len(pc.unique(table["key"])) == table.num_rows:
                continue
            firsts = table.group_by("key").aggregate([("row", "min"), ("row", "count")])
            repeated = firsts.filter(pc.greater(firsts["row_count"], 1))
            if repeated.num_rows == 0:
                continue
            extra = table.filter(pc.is_in(table["key"], value_set=repeated["key"]))
            extra = extra.filter(
                pc.invert(pc.is_in(extra["row"], value_set=repeated["row_min"]))
            ).sort_by("row")
            for key, row in zip(extra["key"].to_pylist(), extra["row"].to_pylist(), strict=True):
                self.report.add(
                    "duplicate-key", row=row, column=column, value=key.replace("\x1f", ", ")
                )


_KEYS = pa.schema([pa.field("key", pa.string()), pa.field("row", pa.int64())])


def _partition_of(keys: pa.Array) -> pa.Array:
    """A partition per key from its last three characters: equal keys always share one."""
    mixed = pa.scalar(0, pa.int64())
    for position, weight in ((1, 1), (2, 31), (3, 961)):
        character = pc.utf8_slice_codeunits(keys, start=-position, stop=1 - position or 2**31 - 1)
        mixed = pc.add(mixed, pc.multiply(_rank(character), weight))
    return pc.bit_wise_and(mixed, PARTITIONS - 1)


def _rank(characters: pa.Array) -> pa.Array:
    return pc.cast(pc.fill_null(pc.index_in(characters, value_set=_ALPHABET), 0), pa.int64())


_ALPHABET = pa.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))


class _Stop(Exception):
    pass


def _rule_of(exc: Exception) -> str:
    return "encoding" if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError) else "malformed"


def _as_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "")


def _parse(values: pa.Array, kind: str) -> tuple[pa.Array, pa.Array | None]:
    """Typed values, and the mask of present values that are not of the type (None if none)."""
    if kind == "date":
        try:
            return pc.cast(values, pa.date32()), None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
            return _checked(values, pc.cast(parsed, pa.date32()))
    if kind == "boolean":
        known = pc.is_in(values, value_set=_BOOLEANS)
        truth = pc.if_else(known, pc.is_in(values, value_set=_TRUTHS), pa.scalar(None, pa.bool_()))
        return _checked(values, truth)
    if kind in _ARROW:
        try:
            return pc.cast(values, _ARROW[kind]), None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _by_pattern(values, kind)
    if kind in _PATTERNS:
        return _by_pattern(values, kind)
    return values, None


def _by_pattern(values: pa.Array, kind: str) -> tuple[pa.Array, pa.Array | None]:
    matches = pc.match_substring_regex(values, _PATTERNS[kind])
    kept = pc.if_else(matches, values, _NO_TEXT)
    target = _ARROW.get(kind, pa.string())
    try:
        typed = pc.cast(kept, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        typed = pa.nulls(len(values), target)
    return _checked(values, typed)


def _checked(values: pa.Array, typed: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    invalid = pc.and_(pc.is_valid(values), pc.is_null(typed))
    return typed, invalid if invalid.true_count else None


_NO_TEXT = pa.scalar(None, pa.string())
_BOOLEANS = pa.array(_TRUE + _FALSE)
_TRUTHS = pa.array(_TRUE)


class _Stats:
    """Counts for column statistics; categories only for coded columns, bounded."""

    def __init__(self) -> None:
        self.count = 0
        self.missing = 0
        self.minimum: float | None = None
        self.maximum: float | None = None
        self.categories: Counter[str] = Counter()
        self.overflow = False

    def add(self, typed: pa.Array, codes: pa.Array | None, missing: int) -> None:
        self.count += len(typed)
        self.missing += missing
        if codes is not None and not self.overflow:
            for item in pc.value_counts(codes).to_pylist():
                if item["values"] is not None:
                    self.categories[item["values"]] += item["counts"]
            self.overflow = len(self.categories) > MAX_CATEGORIES
        if pa.types.is_integer(typed.type) or pa.types.is_floating(typed.type):
            low, high = pc.min_max(typed).values()
            self.minimum = _least(self.minimum, low.as_py(), min)
            self.maximum = _least(self.maximum, high.as_py(), max)

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "missing": self.missing,
            "min": self.minimum,
            "max": self.maximum,
            "categories": None if self.overflow else dict(self.categories),
        }


def _least(current: float | None, new: float | None, pick: Any) -> float | None:
    if new is None:
        return current
    return new if current is None else pick(current, new)


def new_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="hdh-validate-")
