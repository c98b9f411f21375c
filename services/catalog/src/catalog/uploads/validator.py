"""Validation of an uploaded file against its table's schema, in record batches.

Memory is bounded by the block size, not the file. A CSV is cut at line ends into blocks; each
block is parsed by the CSV reader straight into those declared types it reads as Frictionless
does (the fast path of a valid file), and a block whose values do not all convert is parsed
again as text, so that every error is found and named. Every Table Schema rule is checked over
whole columns (``fields``): types and formats, missing values, constraints, primary and unique
keys, and nomenclature codes (foreign keys); errors carry Frictionless's error types and row
numbers (the header is row 1), listed up to a cap per rule and all counted. Valid blocks are
appended to a Parquet (zstd) file. Primary and unique keys are spilled to disk by hash
partition and checked at the end one partition at a time. The values of every column not
already an identifier are scanned for identifiers (``identifying``): a column found to hold
them becomes one, with a notice in the report.
"""

import contextlib
import io
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from catalog.uploads.dialect import Dialect, decode, matching_delimiter
from catalog.uploads.fields import FALSE, TRUE, ColumnRule, parse, violations
from catalog.uploads.identifying import IdentifierScan, looks_identifying
from hdh_common.workdir import work_folder

__all__ = ["ColumnRule", "Dialect", "Outcome", "Report", "Rows", "TableRules", "Validator"]

BLOCK_SIZE = 16 * 1024 * 1024
PARTITION_BITS = 7
SPILL_READ_BYTES = 8 * 1024 * 1024
MAX_CATEGORIES = 200

Batch: TypeAlias = pa.RecordBatch | pa.Table
Values: TypeAlias = pa.Array | pa.ChunkedArray


@dataclass(frozen=True)
class TableRules:
    columns: tuple[ColumnRule, ...]
    primary_key: tuple[str, ...] = ()
    identifiers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_schema(cls, schema: dict[str, Any]) -> "TableRules":
        """Rules of a Frictionless Table Schema descriptor."""
        missing = tuple(schema.get("missingValues", [""]))
        key = schema.get("primaryKey") or []
        return cls(
            columns=tuple(
                ColumnRule.from_descriptor(f, missing_values=missing) for f in schema["fields"]
            ),
            primary_key=(key,) if isinstance(key, str) else tuple(key),
        )

    @property
    def missing_everywhere(self) -> tuple[str, ...]:
        """The missing values of every column, which the CSV reader reads as nulls."""
        if not self.columns:
            return ()
        first, *others = self.columns
        return tuple(v for v in first.missing_values if all(v in o.missing_values for o in others))

    def reader_types(self) -> dict[str, pa.DataType]:
        """Arrow types the CSV reader converts to; other columns stay text."""
        return {c.name: c.arrow_type if c.read_by_csv_reader else pa.string() for c in self.columns}


@dataclass
class Report:
    """Errors by type, rule, row and column: at most ``per_rule`` listed for each rule and
    column, ``max_errors`` in all; every one counted. No value of an identifier column is kept
    (``hidden``), nor any value that looks like an identifier itself: the row and the rule say
    where."""

    max_errors: int
    per_rule: int | None = None
    hidden: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    listed: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    notices: list[dict[str, str]] = field(default_factory=list)
    dialect: dict[str, Any] | None = None

    def add(
        self, kind: str, rule: str, *, row: int | None, column: str | None, value: object
    ) -> None:
        key = self.count(rule, column, 1)
        if self.room(key):
            value = None if self.hides(column) else value
            self.keep(key, {"type": kind, "rule": rule, "row": row, "column": column}, value)

    def count(self, rule: str, column: str | None, number: int) -> str:
        key = f"{rule}:{column}" if column else rule
        self.counts[key] += number
        return key

    def room(self, key: str) -> int:
        per_rule = self.max_errors if self.per_rule is None else self.per_rule
        return max(0, min(self.max_errors - len(self.errors), per_rule - self.listed[key]))

    def keep(self, key: str, error: dict[str, Any], value: object) -> None:
        self.listed[key] += 1
        self.errors.append(error | {"value": value})

    @property
    def omitted(self) -> dict[str, int]:
        """Errors counted but not listed, by rule and column."""
        return {k: n - self.listed[k] for k, n in self.counts.items() if n > self.listed[k]}

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


@dataclass
class Rows:
    """A block of a file: its table, the row number of its first row, the positions (in the
    block) of the rows the reader left out (ragged or blank), which keep their number, and the
    missing values the reader read as nulls."""

    table: Batch
    first: int
    skipped: np.ndarray[Any, np.dtype[np.int64]] = field(
        default_factory=lambda: np.empty(0, np.int64)
    )
    missing: tuple[str, ...] = ()

    def numbers(self, positions: np.ndarray[Any, np.dtype[np.int64]]) -> Any:
        """Row numbers of the table's rows at ``positions``."""
        if not len(self.skipped):
            return positions + self.first
        shifted = self.skipped - np.arange(len(self.skipped))
        return positions + self.first + np.searchsorted(shifted, positions, side="right")


def csv_batches(
    source: IO[bytes],
    *,
    report: Report,
    columns: list[str],
    rules: TableRules | None = None,
    dialect: Dialect | None = None,
) -> Iterator[Rows]:
    """Blocks of whole lines each, typed by ``rules`` where every value converts.

    The file is cut at line ends into blocks parsed one by one (a value may not hold a line
    break), so memory stays bounded by the block size whatever the file's size. Without
    ``rules``, or for a block holding a value that does not convert, every column is text.
    A Windows-1252 file is read as UTF-8 block by block; a UTF-8 byte order mark is dropped.
    """
    dialect = dialect or Dialect()
    first = source.read(len(b"\xef\xbb\xbf"))
    pending = b"" if first == b"\xef\xbb\xbf" else first
    names = columns
    if dialect.header:
        line = _utf8(pending + source.readline(), dialect)
        pending = b""
        names = _header(line, dialect)
        _suggest(line, columns, dialect, report)
    reader = _BlockReader(names, dialect=dialect, report=report, rules=rules)
    while block := pending + source.read(BLOCK_SIZE):
        pending = b""
        if not block.endswith(b"\n"):
            block += source.readline()
        yield reader.read(_utf8(block, dialect))


def _utf8(data: bytes, dialect: Dialect) -> bytes:
    return decode(data, dialect.encoding).encode() if dialect.encoding == "windows-1252" else data


def _header(line: bytes, dialect: Dialect) -> list[str]:
    if not line.strip():
        return []
    table = pa_csv.read_csv(io.BytesIO(line), parse_options=_parse_options(dialect))
    return list(table.column_names)


def _suggest(line: bytes, columns: list[str], dialect: Dialect, report: Report) -> None:
    """When the header does not hold the fields, the delimiter under which it would have."""
    text = line.decode("utf-8", errors="replace").strip("\r\n")
    labels = sorted(
        label.strip().strip(dialect.quote_char) for label in text.split(dialect.delimiter)
    )
    if labels == sorted(columns):
        return
    other = matching_delimiter(text, columns, tried=dialect.delimiter)
    if other is not None:
        report.add("dialect-error", "delimiter", row=1, column=None, value=other)


def _parse_options(dialect: Dialect, handler: Any = None) -> pa_csv.ParseOptions:
    return pa_csv.ParseOptions(
        delimiter=dialect.delimiter,
        quote_char=dialect.quote_char,
        invalid_row_handler=handler,
        ignore_empty_lines=False,
    )


class _BlockReader:
    def __init__(
        self, names: list[str], *, dialect: Dialect, report: Report, rules: TableRules | None
    ) -> None:
        self.names = names
        self.dialect = dialect
        self.report = report
        self.line = 2 if dialect.header else 1
        self.missing = rules.missing_everywhere if rules is not None else ()
        self.typed = _typed_options(names, rules) if rules is not None else None
        self.text = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=list(self.missing),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )

    def read(self, block: bytes) -> Rows:
        ragged = _Ragged(self.names)
        table = None
        if self.typed is not None:
            try:
                table = self._parse(block, self.typed, ragged)
            except pa.ArrowInvalid:
                ragged = _Ragged(self.names)
        if table is None:
            table = self._parse(block, self.text, ragged)
        ragged.report_to(self.report, self.line)
        rows = Rows(table, self.line, np.asarray(ragged.positions, np.int64), self.missing)
        self.line += table.num_rows + len(ragged.positions)
        return rows

    def _parse(self, block: bytes, convert: pa_csv.ConvertOptions, ragged: "_Ragged") -> pa.Table:
        def skip(row: Any) -> str:
            ragged.add((row.number or 1) - 1, row.actual_columns, row.text)
            return "skip"

        return pa_csv.read_csv(  # one chunk per column: no copy to combine them
            pa.BufferReader(block),
            read_options=pa_csv.ReadOptions(
                column_names=self.names, use_threads=False, block_size=len(block) + 1
            ),
            parse_options=_parse_options(self.dialect, skip),
            convert_options=convert,
        )


@dataclass
class _Ragged:
    """The rows of one block with too few or too many cells (an empty line is a blank row),
    held until the block is read for good."""

    names: list[str]
    positions: list[int] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)
    blank: list[bool] = field(default_factory=list)

    def add(self, position: int, cells: int, text: str) -> None:
        self.positions.append(position)
        self.cells.append(cells)
        self.blank.append(not text.strip())

    def report_to(self, report: Report, first: int) -> None:
        for position, cells, blank in zip(self.positions, self.cells, self.blank, strict=True):
            row = first + position
            if blank:
                report.add("blank-row", "blank-row", row=row, column=None, value=None)
                continue
            for name in self.names[cells:]:
                report.add("missing-cell", "missing-cell", row=row, column=name, value=None)
            for _ in range(len(self.names), cells):
                report.add("extra-cell", "extra-cell", row=row, column=None, value=None)


def _typed_options(names: list[str], rules: TableRules) -> pa_csv.ConvertOptions:
    """The missing values of every column are nulls; any other value that does not convert
    fails the block."""
    types = rules.reader_types()
    return pa_csv.ConvertOptions(
        column_types={name: types.get(name, pa.string()) for name in names},
        null_values=list(rules.missing_everywhere),
        true_values=list(TRUE),
        false_values=list(FALSE),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


@dataclass
class _Column:
    """One column of a block, read: its typed values, its source text when it was parsed from
    text, and the mask of its missing values."""

    typed: Values
    text: pa.Array | None
    missing: Values
    present: pa.Array | None = None  # the text with its missing values null


class Validator:
    def __init__(
        self,
        rules: TableRules,
        *,
        workdir: Path,
        max_errors: int,
        per_rule: int | None = None,
        small_cell: int = 10,
        collect: Callable[[dict[str, Values], Rows], None] | None = None,
    ) -> None:
        self.rules = rules
        self.collect = collect  # handed every block's typed columns (foreign keys)
        self.workdir = workdir
        self.report = Report(
            max_errors=max_errors, per_rule=per_rule, hidden=set(rules.identifiers)
        )
        self.writer: pq.ParquetWriter | None = None
        self.parquet = workdir / "data.parquet"
        self.schema = pa.schema([pa.field(c.name, c.arrow_type) for c in rules.columns])
        self.stats = {c.name: _Stats(small_cell) for c in rules.columns}
        self.codes = {
            c.name: pa.array(sorted(c.codes), pa.string())
            for c in rules.columns
            if c.codes is not None
        }
        self.keys = _KeySpill(workdir, "+".join(rules.primary_key), kind="primary-key")
        self.unique = {
            c.name: _KeySpill(workdir, c.name, kind="unique-error")
            for c in rules.columns
            if c.unique
        }
        self.scan = IdentifierScan(c.name for c in rules.columns if c.name not in rules.identifiers)
        self.next_row = 1
        self.header_checked = False

    def run(self, batches: Iterable[Batch | Rows]) -> Outcome:
        try:
            for batch in batches:
                self._batch(batch if isinstance(batch, Rows) else Rows(batch, self.next_row))
        except _Stop:
            pass
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            kind, rule = _rule_of(exc)
            self.report.add(kind, rule, row=None, column=None, value=str(exc)[:300])
        finally:
            for spill in [self.keys, *self.unique.values()]:
                spill.close()
            if self.writer is not None:
                self.writer.close()
        for spill in [self.keys, *self.unique.values()]:
            spill.check(self.report)
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

    def _batch(self, rows: Rows) -> None:
        batch = rows.table
        if not self.header_checked:
            self.header_checked = True
            if not self._check_header(batch.schema.names):
                raise _Stop
        self.next_row = int(rows.numbers(np.array([batch.num_rows], np.int64))[0])
        if batch.num_rows == 0:
            return
        self.report.rows += batch.num_rows
        columns = {r.name: _combined(batch.column(r.name)) for r in self.rules.columns}
        for name, values in columns.items():
            self.scan.add(name, values)
        read = {r.name: _read(r, columns[r.name], rows.missing) for r in self.rules.columns}
        blank = self._blank(read, rows)
        typed = [self._column(rule, read[rule.name], rows, blank) for rule in self.rules.columns]
        self._keys(read, rows)
        if self.collect is not None:
            self.collect({name: column.typed for name, column in read.items()}, rows)
        if self.report.ok:
            self._write(pa.Table.from_arrays(typed, schema=self.schema))

    def _blank(self, read: dict[str, _Column], rows: Rows) -> pa.Array | None:
        """Rows whose every cell is missing: one ``blank-row`` error each, and no other."""
        masks = [_combined(column.missing) for column in read.values()]
        blank = masks[0]
        for mask in masks[1:]:
            blank = pc.and_(blank, mask)
        if not pc.any(blank).as_py():
            return None
        self._flag(None, blank, "blank-row", "blank-row", None, rows)
        return blank

    def _write(self, table: pa.Table) -> None:
        if self.writer is None:
            # A primary key or a unique column: a dictionary of its values would be thrown away.
            # No statistics: linkage reads the file whole, and a minimum or maximum is someone's
            # value (comparing strings for them cost a twentieth of the validation).
            unique = {*self.rules.primary_key, *self.unique}
            dictionary = [n for n in self.schema.names if n not in unique]
            self.writer = pq.ParquetWriter(
                self.parquet,
                self.schema,
                compression="zstd",
                use_dictionary=dictionary,
                write_statistics=False,
            )
        self.writer.write_table(table)

    def _check_header(self, names: list[str]) -> bool:
        """A header holding every field once, in any order, is taken; otherwise its labels are
        compared one by one with the fields, as Frictionless does."""
        expected = [c.name for c in self.rules.columns]
        if sorted(names) == sorted(expected) and len(set(names)) == len(names):
            return True
        for index, label in enumerate(names):
            name = expected[index] if index < len(expected) else None
            if not label.strip():
                kind = "blank-label"
            elif names.index(label) != index:
                kind = "duplicate-label"
            elif name is None:
                kind = "extra-label"
            elif label != name:
                kind = "incorrect-label"
            else:
                continue
            self.report.add(kind, kind, row=None, column=name or label, value=label)
        for missing in expected[len(names) :]:
            self.report.add("missing-label", "missing-label", row=None, column=missing, value=None)
        return self.report.ok

    def _column(
        self, rule: ColumnRule, column: _Column, rows: Rows, blank: pa.Array | None
    ) -> Values:
        if column.present is not None:
            column.typed, invalid = parse(rule, column.present)
            if invalid is not None:
                kind, name = "type-error", f"type:{rule.type}"
                self._flag(column.text, invalid, kind, name, rule.name, rows, blank)
        shown = column.text if column.text is not None else column.typed
        if rule.required:
            self._flag(None, column.missing, "constraint-error", "required", rule.name, rows, blank)
        for name, mask in violations(rule, column.typed):
            self._flag(shown, mask, "constraint-error", name, rule.name, rows, blank)
        if rule.codes is not None:
            self._codes(rule, column, rows, blank)
        missing = pc.sum(column.missing).as_py() or 0
        codes = column.present if rule.codes is not None else None
        self.stats[rule.name].add(column.typed, codes, missing)
        if not self.report.ok:
            return pa.nulls(len(column.typed), rule.arrow_type)
        return column.typed

    def _codes(self, rule: ColumnRule, column: _Column, rows: Rows, blank: pa.Array | None) -> None:
        """A nomenclature is a foreign key to its codes."""
        assert column.present is not None
        coded = pc.is_in(column.present, value_set=self.codes[rule.name])
        unknown = pc.and_(pc.is_valid(column.typed), pc.invert(coded))
        self._flag(column.text, unknown, "foreign-key", "nomenclature", rule.name, rows, blank)

    def _flag(
        self,
        values: Values | None,
        mask: Values,
        kind: str,
        rule: str,
        column: str | None,
        rows: Rows,
        blank: pa.Array | None = None,
    ) -> None:
        if blank is not None:
            mask = pc.and_(mask, pc.invert(blank))
        mask = _combined(mask)
        if not pc.any(mask).as_py():
            return
        indices = pc.indices_nonzero(mask)
        key = self.report.count(rule, column, len(indices))
        room = self.report.room(key)
        if not room:
            return
        hidden = self.report.hides(column)
        positions = indices.slice(0, room).to_numpy().astype(np.int64)
        for position, row in zip(positions.tolist(), rows.numbers(positions).tolist(), strict=True):
            value = None if hidden or values is None else values[position].as_py()
            error = {"type": kind, "rule": rule, "row": row, "column": column}
            self.report.keep(key, error, value)

    def _keys(self, read: dict[str, _Column], rows: Rows) -> None:
        numbers = rows.numbers(np.arange(rows.table.num_rows, dtype=np.int64))
        for name, spill in self.unique.items():
            typed = _combined(read[name].typed)
            present = pc.is_valid(typed)
            spill.add(
                _as_text(typed).filter(present), numbers[present.to_numpy(zero_copy_only=False)]
            )
        names = self.rules.primary_key
        if not names:
            return
        parts = [_combined(read[n].typed) for n in names]
        empty = parts[0].is_null()
        for part in parts[1:]:
            empty = pc.and_(empty, part.is_null())
        if pc.any(empty).as_py():
            self._flag(None, empty, "primary-key", "primary-key", "+".join(names), rows)
        texts = [_as_text(p) for p in parts]
        keys = texts[0] if len(texts) == 1 else pc.binary_join_element_wise(*texts, "\x1f")
        kept = pc.invert(empty)
        self.keys.add(keys.filter(kept), numbers[kept.to_numpy(zero_copy_only=False)])


def _read(rule: ColumnRule, values: Values, read_missing: tuple[str, ...]) -> _Column:
    """A column as read: typed when the reader (or a Parquet file) gave its type, else text.
    ``read_missing``: the missing values the reader already read as nulls."""
    values = _combined(values)
    if rule.read_typed and values.type != rule.arrow_type and not pa.types.is_string(values.type):
        with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = pc.cast(values, rule.arrow_type)
    if rule.read_typed and values.type == rule.arrow_type:
        return _Column(values, None, values.is_null())
    if not (read_missing and pa.types.is_string(values.type)):
        values, read_missing = _as_text(values), ()
    missing = values.is_null()
    others = [v for v in rule.missing_values if v not in read_missing]
    if not others:
        return _Column(values, values, missing, values)
    missing = pc.or_(missing, pc.is_in(values, value_set=pa.array(others, pa.string())))
    present = pc.if_else(missing, _NO_TEXT, values) if pc.any(missing).as_py() else values
    return _Column(values, values, missing, present)


class _KeySpill:
    """Keys spilled to disk: the keys and their row numbers in file order (an Arrow file), and
    their fingerprints and ordinals (two files of 64-bit numbers), each block's ordered by
    fingerprint partition; ``bounds``: where each partition of each block starts in them.

    A partition whose fingerprints are all distinct holds distinct keys (equal keys have
    equal fingerprints); only the keys of a repeated fingerprint are read back and compared.
    """

    def __init__(self, workdir: Path, column: str, *, kind: str) -> None:
        self.folder = workdir / f"{kind}-{column}".replace("/", "_")
        self.column = column
        self.kind = kind
        self.keys: pa.ipc.RecordBatchFileWriter | None = None
        self.starts: list[int] = []
        self.bounds: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        self.added = 0

    def add(self, keys: pa.Array, rows: np.ndarray[Any, np.dtype[np.int64]]) -> None:
        keys = _combined(keys)
        if not len(keys):
            return
        if self.keys is None:
            self.folder.mkdir(exist_ok=True)
            self.keys = pa.ipc.new_file(str(self.folder / "keys.arrow"), _KEY)
        self.keys.write_batch(pa.record_batch([keys, pa.array(rows, pa.int64())], schema=_KEY))
        self.starts.append(self.added)
        fingerprints = _fingerprints(keys)
        partition = (fingerprints >> np.uint64(64 - PARTITION_BITS)).astype(np.uint8)
        order = np.argsort(partition, kind="stable")
        counts = np.bincount(partition, minlength=1 << PARTITION_BITS)
        self.bounds.append(self.added + np.concatenate([[0], np.cumsum(counts)]))
        ordinals = order + self.added
        for name, numbers in (("fingerprints", fingerprints[order]), ("ordinals", ordinals)):
            with (self.folder / name).open("ab") as file:
                file.write(numbers.astype(_NUMBERS[name]).tobytes())
        self.added += len(keys)

    def close(self) -> None:
        if self.keys is not None:
            self.keys.close()

    def check(self, report: Report) -> None:
        """Partitions read a few at a time: as many as ``SPILL_READ_BYTES`` hold."""
        partitions = 1 << PARTITION_BITS
        spilled = self.added * _SPILL_ROW_BYTES
        step = max(1, partitions * SPILL_READ_BYTES // max(1, spilled))
        for first in range(0, partitions, step) if self.bounds else ():
            end = min(first + step, partitions)
            pieces = [(int(b[first]), int(b[end] - b[first])) for b in self.bounds]
            fingerprints = self._read("fingerprints", pieces)
            ordered = np.sort(fingerprints)
            if np.any(ordered[1:] == ordered[:-1]):
                ordinals = self._read("ordinals", pieces)
                self._duplicates(_repeated_rows(fingerprints, ordinals), report)

    def _read(self, name: str, pieces: list[tuple[int, int]]) -> Any:
        """The numbers of one spill file at these (start, count) pieces, end to end."""
        size = np.dtype(_NUMBERS[name]).itemsize
        with (self.folder / name).open("rb") as file:
            parts = []
            for start, count in pieces:
                file.seek(start * size)
                parts.append(np.frombuffer(file.read(count * size), _NUMBERS[name]))
        return np.concatenate(parts)

    def _duplicates(self, ordinals: np.ndarray[Any, np.dtype[np.int64]], report: Report) -> None:
        table = self._keys_of(ordinals).append_column("ordinal", pa.array(ordinals))
        firsts = table.group_by("key").aggregate([("ordinal", "min"), ("ordinal", "count")])
        repeated = firsts.filter(pc.greater(firsts["ordinal_count"], 1))
        extra = table.filter(pc.is_in(table["key"], value_set=repeated["key"]))
        extra = extra.filter(
            pc.invert(pc.is_in(extra["ordinal"], value_set=repeated["ordinal_min"]))
        ).sort_by("ordinal")
        rule = "unique" if self.kind == "unique-error" else self.kind
        for key, row in zip(extra["key"].to_pylist(), extra["row"].to_pylist(), strict=True):
            value = key.replace("\x1f", ", ")
            report.add(self.kind, rule, row=row, column=self.column, value=value)

    def _keys_of(self, ordinals: np.ndarray[Any, np.dtype[np.int64]]) -> pa.Table:
        """The keys and rows of the given ordinals (ascending), read back from the spill."""
        starts = np.asarray(self.starts, np.int64)
        batches = np.searchsorted(starts, ordinals, side="right") - 1
        pieces = []
        with pa.memory_map(str(self.folder / "keys.arrow")) as source:
            reader = pa.ipc.open_file(source)
            for index in np.unique(batches).tolist():
                local = ordinals[batches == index] - starts[index]
                pieces.append(reader.get_batch(index).take(pa.array(local)))
        return pa.Table.from_batches(pieces)


def by_partition(
    fingerprints: np.ndarray[Any, np.dtype[np.uint64]], bits: int
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], list[tuple[int, int, int]]]:
    """The order that groups keys by partition (the top ``bits``, at most 8, of their
    fingerprints), and each partition met: its index, where it starts in that order, its size."""
    partition = (fingerprints >> np.uint64(64 - bits)).astype(np.uint8)
    order = np.argsort(partition, kind="stable")
    counts = np.bincount(partition, minlength=1 << bits)
    starts = np.cumsum(counts) - counts
    runs = [(i, int(starts[i]), int(counts[i])) for i in np.flatnonzero(counts).tolist()]
    return order, runs


def _repeated_rows(
    fingerprints: np.ndarray[Any, np.dtype[np.uint64]], rows: np.ndarray[Any, np.dtype[np.int64]]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The ordinals whose fingerprint occurs more than once, ascending."""
    order = np.argsort(fingerprints, kind="stable")
    ordered = fingerprints[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(ordered), bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return np.sort(rows[order][repeated])


_KEY = pa.schema([pa.field("key", pa.string()), pa.field("row", pa.int64())])
_NUMBERS = {"fingerprints": np.uint64, "ordinals": np.int64}
_SPILL_ROW_BYTES = sum(np.dtype(kind).itemsize for kind in _NUMBERS.values())
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


def _rule_of(exc: Exception) -> tuple[str, str]:
    if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
        return "encoding-error", "encoding"
    return "source-error", "malformed"


def _combined(values: Values) -> pa.Array:
    """One array; a single chunk is not copied (``combine_chunks`` would)."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def _as_text(values: Values) -> pa.Array:
    array = _combined(values)
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "") if array.null_count else array


_NO_TEXT = pa.scalar(None, pa.string())


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
