"""Validation of an uploaded file against its table's schema, in record batches.

Memory is bounded by the block size, not the file. A CSV is cut at line ends into blocks;
each block is parsed straight into the declared types by the CSV reader (the fast path of a
valid file), and a block whose values do not all convert is parsed again as text, so that
every error is found and named (row, column, value, rule). Checks are vectorised: types,
required fields, nomenclature codes, primary-key uniqueness, encoding, delimiter and ragged
rows. Valid blocks are appended to a Parquet (zstd) file. Primary keys are spilled to disk
by hash partition and checked at the end one partition at a time. The values of every column
not already an identifier are scanned for identifiers (``identifying``): a column found to
hold them becomes one, with a notice in the report.
"""

import io
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from catalog.uploads.identifying import IdentifierScan, looks_identifying
from hdh_common.workdir import work_folder

BLOCK_SIZE = 16 * 1024 * 1024
READ_BLOCK_SIZE = 4 * 1024 * 1024
PARTITION_BITS = 7
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

Batch: TypeAlias = pa.RecordBatch | pa.Table
Values: TypeAlias = pa.Array | pa.ChunkedArray


@dataclass(frozen=True)
class ColumnRule:
    name: str
    type: str
    required: bool = False
    codes: frozenset[str] | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW.get(self.type, pa.string())

    @property
    def read_typed(self) -> bool:
        """Whether the CSV reader may convert the column itself (no text check needed)."""
        return self.codes is None and (self.type in _ARROW or self.type not in _PATTERNS)


@dataclass(frozen=True)
class TableRules:
    columns: tuple[ColumnRule, ...]
    primary_key: tuple[str, ...] = ()
    identifiers: dict[str, str] = field(default_factory=dict)

    def reader_types(self) -> dict[str, pa.DataType]:
        """Arrow types the CSV reader converts to; keys and coded columns stay text."""
        return {
            c.name: c.arrow_type if c.read_typed and c.name not in self.primary_key else pa.string()
            for c in self.columns
        }


@dataclass
class Report:
    """Errors by row, column and rule. No value of an identifier column is kept (``hidden``),
    nor any value that looks like an identifier itself: the row and the rule say where."""

    max_errors: int
    hidden: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    notices: list[dict[str, str]] = field(default_factory=list)

    def add(self, rule: str, *, row: int | None, column: str | None, value: object) -> None:
        self.counts[f"{rule}:{column}" if column else rule] += 1
        if len(self.errors) < self.max_errors:
            value = None if self.hides(column) else value
            self.errors.append({"row": row, "column": column, "value": value, "rule": rule})

    def hides(self, column: str | None) -> bool:
        """Whether ``column`` (or a part of a composite key ``A+B``) is an identifier."""
        return column is not None and (
            column in self.hidden or any(part in self.hidden for part in column.split("+"))
        )

    def hide(self, columns: Iterable[str]) -> None:
        """Drop the values kept so far of these columns, and those that look identifying."""
        self.hidden.update(columns)
        for error in self.errors:
            if self.hides(error["column"]) or looks_identifying(error["value"]):
                error["value"] = None

    @property
    def ok(self) -> bool:
        return not self.counts


@dataclass
class Outcome:
    report: Report
    statistics: dict[str, dict[str, Any]]
    parquet: Path | None
    identifiers: dict[str, str] = field(default_factory=dict)


def csv_batches(
    source: IO[bytes],
    *,
    delimiter: str,
    report: Report,
    columns: list[str],
    rules: TableRules | None = None,
) -> Iterator[pa.Table]:
    """Tables of one block of whole lines each, typed by ``rules`` where every value converts.

    The file is cut at line ends into blocks parsed one by one (a value may not hold a line
    break), so memory stays bounded by the block size whatever the file's size. Without
    ``rules``, or for a block holding a value that does not convert, every column is text.
    """
    header = source.readline()
    names = pa_csv.read_csv(
        io.BytesIO(header), parse_options=pa_csv.ParseOptions(delimiter=delimiter)
    ).column_names
    reader = _BlockReader(names, delimiter=delimiter, report=report, rules=rules)
    while block := source.read(BLOCK_SIZE):
        if not block.endswith(b"\n"):
            block += source.readline()
        yield reader.read(block)


class _BlockReader:
    def __init__(
        self, names: list[str], *, delimiter: str, report: Report, rules: TableRules | None
    ) -> None:
        self.names = names
        self.delimiter = delimiter
        self.report = report
        self.line = 1
        self.typed = _typed_options(names, rules) if rules is not None else None
        self.text = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )

    def read(self, block: bytes) -> pa.Table:
        ragged = _Ragged(keep=self.report.max_errors)
        table = None
        if self.typed is not None:
            try:
                table = self._parse(block, self.typed, ragged)
            except pa.ArrowInvalid:
                ragged = _Ragged(keep=self.report.max_errors)
        if table is None:
            table = self._parse(block, self.text, ragged)
        ragged.report_to(self.report)
        self.line += block.count(b"\n")
        return table

    def _parse(self, block: bytes, convert: pa_csv.ConvertOptions, ragged: "_Ragged") -> pa.Table:
        def skip(row: Any) -> str:
            found = f"{row.actual_columns} fields, {row.expected_columns} expected"
            ragged.add(self.line + (row.number or 0) - 1, found)
            return "skip"

        return pa_csv.read_csv(
            pa.BufferReader(block),
            read_options=pa_csv.ReadOptions(
                column_names=self.names, use_threads=False, block_size=READ_BLOCK_SIZE
            ),
            parse_options=pa_csv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=skip),
            convert_options=convert,
        )


@dataclass
class _Ragged:
    """The ragged rows of one block, held until the block is read for good (bounded)."""

    keep: int
    rows: list[tuple[int, str]] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, found: str) -> None:
        self.count += 1
        if len(self.rows) < self.keep:
            self.rows.append((row, found))

    def report_to(self, report: Report) -> None:
        for row, found in self.rows:
            report.add("ragged-row", row=row, column=None, value=found)
        if self.count > len(self.rows):
            report.counts["ragged-row"] += self.count - len(self.rows)


def _typed_options(names: list[str], rules: TableRules) -> pa_csv.ConvertOptions:
    """Empty values are missing (null); any other value that does not convert fails the block."""
    types = rules.reader_types()
    return pa_csv.ConvertOptions(
        column_types={name: types.get(name, pa.string()) for name in names},
        null_values=[""],
        true_values=_TRUE,
        false_values=_FALSE,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


class Validator:
    def __init__(
        self, rules: TableRules, *, workdir: Path, max_errors: int, small_cell: int = 10
    ) -> None:
        self.rules = rules
        self.workdir = workdir
        self.report = Report(max_errors=max_errors, hidden=set(rules.identifiers))
        self.writer: pq.ParquetWriter | None = None
        self.parquet = workdir / "data.parquet"
        self.schema = pa.schema([pa.field(c.name, c.arrow_type) for c in rules.columns])
        self.stats = {c.name: _Stats(small_cell) for c in rules.columns}
        self.codes = {
            c.name: pa.array(sorted(c.codes), pa.string())
            for c in rules.columns
            if c.codes is not None
        }
        self.keys = _KeySpill(workdir, "+".join(rules.primary_key))
        self.scan = IdentifierScan(c.name for c in rules.columns if c.name not in rules.identifiers)

    def run(self, batches: Iterable[Batch]) -> Outcome:
        try:
            for batch in batches:
                self._batch(batch)
        except _Stop:
            pass
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            self.report.add(_rule_of(exc), row=None, column=None, value=str(exc)[:300])
        finally:
            self.keys.close()
            if self.writer is not None:
                self.writer.close()
        self.keys.check(self.report)
        identifiers = self._found()
        statistics = {name: s.summary() for name, s in self.stats.items()}
        for name in self.report.hidden:  # an identifier's bounds are someone's values
            statistics[name] |= {"low": None, "high": None}
        parquet = self.parquet if self.report.ok else None
        return Outcome(self.report, statistics, parquet, identifiers=identifiers)

    def _found(self) -> dict[str, str]:
        found = self.scan.found()
        for name, (kind, rule) in found.items():
            self.report.notices.append({"column": name, "rule": rule, "identifier": kind})
        self.report.hide(found)
        return {name: kind for name, (kind, _) in found.items()}

    def _batch(self, batch: Batch) -> None:
        if batch.num_rows == 0:
            return
        first = self.report.rows == 0
        if first and not self._check_header(batch.schema.names):
            raise _Stop
        offset = self.report.rows
        self.report.rows += batch.num_rows
        for rule in self.rules.columns:
            self.scan.add(rule.name, batch.column(rule.name))
        typed = [self._column(rule, batch.column(rule.name), offset) for rule in self.rules.columns]
        self._keys(batch, offset)
        if self.report.ok:
            self._write(pa.Table.from_arrays(typed, schema=self.schema))

    def _write(self, table: pa.Table) -> None:
        if self.writer is None:
            # A primary key is unique: a dictionary of its values would only be thrown away.
            dictionary = [n for n in self.schema.names if n not in self.rules.primary_key]
            self.writer = pq.ParquetWriter(
                self.parquet, self.schema, compression="zstd", use_dictionary=dictionary
            )
        self.writer.write_table(table)

    def _check_header(self, names: list[str]) -> bool:
        expected = [c.name for c in self.rules.columns]
        before = sum(self.report.counts.values())
        for missing in [n for n in expected if n not in names]:
            self.report.add("missing-column", row=None, column=missing, value=None)
        for extra in [n for n in names if n not in expected]:
            self.report.add("unknown-column", row=None, column=extra, value=None)
        for twice in sorted({n for n in names if names.count(n) > 1}):
            self.report.add("duplicate-label", row=None, column=twice, value=None)
        return sum(self.report.counts.values()) == before

    def _column(self, rule: ColumnRule, values: Values, offset: int) -> Values:
        if rule.read_typed and values.type == rule.arrow_type:
            typed = self._converted(rule, values, offset)
        else:
            typed = self._text(rule, _as_text(values), offset)
        if not self.report.ok:
            return pa.nulls(len(values), rule.arrow_type)
        return typed

    def _converted(self, rule: ColumnRule, values: Values, offset: int) -> Values:
        """A column already of its type (nulls are missing values); strings may hold ``""``."""
        if pa.types.is_string(values.type):
            empty = pc.equal(values, "")
            if pc.any(empty).as_py():
                values = pc.if_else(empty, _NO_TEXT, values)
        missing = values.null_count
        if rule.required and missing:
            self._flag(
                pc.fill_null(values.cast(pa.string()), ""),
                pc.is_null(values),
                "required",
                rule.name,
                offset,
            )
        self.stats[rule.name].add(values, None, missing)
        return values

    def _text(self, rule: ColumnRule, values: pa.Array, offset: int) -> pa.Array:
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
        return typed

    def _flag(self, values: Values, mask: Values, rule: str, column: str, offset: int) -> None:
        if not pc.any(mask).as_py():
            return
        indices = pc.indices_nonzero(_combined(mask))
        self.report.counts[f"{rule}:{column}"] += len(indices)
        room = max(0, self.report.max_errors - len(self.report.errors))
        hidden = self.report.hides(column)
        for position in indices.to_pylist()[:room]:
            self.report.errors.append(
                {
                    "row": offset + position + 1,
                    "column": column,
                    "value": None if hidden else values[position].as_py(),
                    "rule": rule,
                }
            )

    def _keys(self, batch: Batch, offset: int) -> None:
        names = self.rules.primary_key
        if not names or any(n not in batch.schema.names for n in names):
            return
        parts = [_as_text(batch.column(n)) for n in names]
        keys = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")
        self.keys.add(keys, offset)


class _KeySpill:
    """Primary keys spilled to disk: the keys in file order, and their fingerprints and rows
    in one Arrow file per fingerprint partition.

    A partition whose fingerprints are all distinct holds distinct keys (equal keys have
    equal fingerprints); only the rows of a repeated fingerprint have their keys read back
    and compared.
    """

    def __init__(self, workdir: Path, column: str) -> None:
        self.workdir = workdir
        self.column = column
        self.keys: pa.ipc.RecordBatchFileWriter | None = None
        self.starts: list[int] = []
        self.writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}

    def add(self, keys: pa.Array, offset: int) -> None:
        keys = _combined(keys)
        if self.keys is None:
            self.keys = pa.ipc.new_file(str(self.workdir / "keys.arrow"), _KEY)
        self.keys.write_batch(pa.record_batch([keys], schema=_KEY))
        self.starts.append(offset)
        fingerprints = _fingerprints(keys)
        partition = (fingerprints >> np.uint64(64 - PARTITION_BITS)).astype(np.uint8)
        order = np.argsort(partition, kind="stable")
        counts = np.bincount(partition, minlength=1 << PARTITION_BITS)
        rows = order + (offset + 1)
        batch = pa.record_batch([pa.array(fingerprints[order]), pa.array(rows)], schema=_SPILL)
        start = 0
        for index in np.flatnonzero(counts).tolist():
            count = int(counts[index])
            self._writer(index).write_batch(batch.slice(start, count))
            start += count

    def _writer(self, index: int) -> pa.ipc.RecordBatchFileWriter:
        if index not in self.writers:
            self.writers[index] = pa.ipc.new_file(str(self._path(index)), _SPILL)
        return self.writers[index]

    def _path(self, index: int) -> Path:
        return self.workdir / f"fingerprints-{index:03d}.arrow"

    def close(self) -> None:
        for writer in [self.keys, *self.writers.values()]:
            if writer is not None:
                writer.close()

    def check(self, report: Report) -> None:
        for index in sorted(self.writers):
            with pa.memory_map(str(self._path(index))) as source:
                table = pa.ipc.open_file(source).read_all()
            fingerprints = table["fingerprint"].to_numpy()
            ordered = np.sort(fingerprints)
            if np.any(ordered[1:] == ordered[:-1]):
                self._duplicates(_repeated_rows(fingerprints, table["row"].to_numpy()), report)

    def _duplicates(self, rows: np.ndarray[Any, np.dtype[np.int64]], report: Report) -> None:
        table = pa.table({"key": self._keys_of(rows), "row": pa.array(rows)})
        firsts = table.group_by("key").aggregate([("row", "min"), ("row", "count")])
        repeated = firsts.filter(pc.greater(firsts["row_count"], 1))
        extra = table.filter(pc.is_in(table["key"], value_set=repeated["key"]))
        extra = extra.filter(
            pc.invert(pc.is_in(extra["row"], value_set=repeated["row_min"]))
        ).sort_by("row")
        for key, row in zip(extra["key"].to_pylist(), extra["row"].to_pylist(), strict=True):
            report.add(
                "duplicate-key", row=row, column=self.column, value=key.replace("\x1f", ", ")
            )

    def _keys_of(self, rows: np.ndarray[Any, np.dtype[np.int64]]) -> pa.Array:
        """The keys of the given rows (ascending, counted from 1), read back from the spill."""
        starts = np.asarray(self.starts, np.int64)
        batches = np.searchsorted(starts, rows - 1, side="right") - 1
        pieces = []
        with pa.memory_map(str(self.workdir / "keys.arrow")) as source:
            reader = pa.ipc.open_file(source)
            for index in np.unique(batches).tolist():
                local = rows[batches == index] - 1 - starts[index]
                pieces.append(reader.get_batch(index).column(0).take(pa.array(local)))
        return pa.concat_arrays(pieces)


def _repeated_rows(
    fingerprints: np.ndarray[Any, np.dtype[np.uint64]], rows: np.ndarray[Any, np.dtype[np.int64]]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The rows whose fingerprint occurs more than once, ascending."""
    order = np.argsort(fingerprints, kind="stable")
    ordered = fingerprints[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(ordered), bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return np.sort(rows[order][repeated])


_KEY = pa.schema([pa.field("key", pa.string())])
_SPILL = pa.schema([pa.field("fingerprint", pa.uint64()), pa.field("row", pa.int64())])
_MIX = np.uint64(0x9E3779B97F4A7C15)
_ALL_BYTES = np.uint64(2**64 - 1)


def _fingerprints(keys: pa.Array) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """A 64-bit hash of each key's bytes, read eight at a time (vectorised over the keys)."""
    keys = _combined(keys)
    if keys.type != pa.string():
        keys = keys.cast(pa.string())
    _, offsets, data = keys.buffers()
    bounds = np.frombuffer(offsets, np.int32, len(keys) + 1, keys.offset * 4).astype(np.int64)
    content = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    padded = np.concatenate([content[bounds[0] : bounds[-1]], np.zeros(8, np.uint8)])
    words = np.ndarray((len(padded) - 7,), np.dtype("<u8"), buffer=padded, strides=(1,))
    starts, lengths = bounds[:-1] - bounds[0], np.diff(bounds)
    last = len(words) - 1
    mixed = (lengths.astype(np.uint64) + np.uint64(1)) * _MIX
    for shift in range(0, int(lengths.max(initial=0)), 8):
        word = words[np.minimum(starts + shift, last)]
        if lengths.min() < shift + 8:  # some keys end within (or before) these eight bytes
            remaining = np.clip(lengths - shift, 0, 8).astype(np.uint64)
            short = (np.uint64(1) << (remaining * np.uint64(8))) - np.uint64(1)
            word &= np.where(remaining == 8, _ALL_BYTES, short)
        mixed ^= word
        mixed *= _MIX
        mixed ^= mixed >> np.uint64(29)
    return mixed


class _Stop(Exception):
    pass


def _rule_of(exc: Exception) -> str:
    return "encoding" if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError) else "malformed"


def _combined(values: Values) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _as_text(values: Values) -> pa.Array:
    array = _combined(values)
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "") if array.null_count else array


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
    """Counts for column statistics; categories only for coded columns, bounded. No exact
    extreme is kept: only the ``tail``-th smallest and largest values (the small-cell
    threshold), which at least that many persons reach."""

    def __init__(self, tail: int) -> None:
        self.tail = tail
        self.count = 0
        self.missing = 0
        self.smallest = np.empty(0, np.float64)
        self.largest = np.empty(0, np.float64)
        self.categories: Counter[str] = Counter()
        self.overflow = False

    def add(self, typed: Values, codes: Values | None, missing: int) -> None:
        self.count += len(typed)
        self.missing += missing
        if codes is not None and not self.overflow:
            for item in pc.value_counts(codes).to_pylist():
                if item["values"] is not None:
                    self.categories[item["values"]] += item["counts"]
            self.overflow = len(self.categories) > MAX_CATEGORIES
        if pa.types.is_integer(typed.type) or pa.types.is_floating(typed.type):
            full = len(self.smallest) == self.tail
            low_high = pc.min_max(typed)
            low_value, high_value = low_high["min"].as_py(), low_high["max"].as_py()
            if low_value is None or (
                full and low_value >= self.smallest.max() and high_value <= self.largest.min()
            ):
                return  # no value of this block enters either tail
            present = _combined(typed).drop_null().to_numpy(zero_copy_only=False)
            present = present.astype(np.float64)
            low = present[present < self.smallest.max()] if full else present
            high = present[present > self.largest.min()] if full else present
            self.smallest = _ends(np.concatenate([self.smallest, low]), self.tail)
            self.largest = -_ends(-np.concatenate([self.largest, high]), self.tail)

    def summary(self) -> dict[str, Any]:
        full = len(self.smallest) == self.tail
        return {
            "count": self.count,
            "missing": self.missing,
            "low": float(self.smallest.max()) if full else None,
            "high": float(self.largest.min()) if full else None,
            "categories": None if self.overflow else dict(self.categories),
        }


def _ends(values: np.ndarray[Any, np.dtype[np.float64]], count: int) -> Any:
    """The ``count`` smallest of ``values`` (all of them if fewer), in no order."""
    if len(values) <= count:
        return values
    return np.partition(values, count - 1)[:count]


def new_workdir(root: Path | None = None) -> tempfile.TemporaryDirectory[str]:
    return work_folder(root, prefix="hdh-validate-")
