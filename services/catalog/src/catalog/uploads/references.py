"""Foreign keys between the tables of one version, checked as Frictionless checks them.

Each table's pass hands its typed blocks to a ``TableKeys``, which keeps keys only: the values
of the table's foreign keys with their row numbers, and the keys that foreign keys (of other
tables or its own) reference, each written to disk by hash partition. ``check`` then looks up
every referencing table's values in the referenced keys one partition at a time, after all the
tables are read: memory is bounded by a partition, and the outcome does not depend on the
order the tables were read in. As in Frictionless (and the Data Package spec), a row whose
foreign key fields are all missing is not checked, and a key missing some of its fields
matches only a referenced key missing the same ones.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalog.uploads.identifying import looks_identifying
from catalog.uploads.validator import (
    Report,
    Rows,
    Values,
    _combined,
    _fingerprints,
    by_partition,
)

PARTITION_BITS = 6
KIND = "foreign-key"
_MISSING = "\x00"
_SEPARATOR = "\x1f"
_KEYS = pa.schema([pa.field("key", pa.string()), pa.field("row", pa.int64())])


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" for the table itself, as in Frictionless
    reference: tuple[str, ...]

    @classmethod
    def from_descriptor(cls, descriptor: dict[str, Any]) -> "ForeignKey":
        reference = descriptor["reference"]
        resource = reference.get("resource") or ""
        return cls(_names(descriptor["fields"]), resource, _names(reference["fields"]))

    @property
    def column(self) -> str:
        return "+".join(self.fields)

    def target(self, table: str) -> str:
        return self.resource or table


def foreign_keys(schema: dict[str, Any]) -> tuple[ForeignKey, ...]:
    """The foreign keys of a Frictionless Table Schema descriptor."""
    return tuple(ForeignKey.from_descriptor(fk) for fk in schema.get("foreignKeys") or [])


def referenced_fields(
    tables: Mapping[str, Sequence[ForeignKey]],
) -> dict[str, set[tuple[str, ...]]]:
    """For each table, the fields that foreign keys (its own included) reference in it."""
    referenced: dict[str, set[tuple[str, ...]]] = {name: set() for name in tables}
    for name, keys in tables.items():
        for fk in keys:
            referenced.setdefault(fk.target(name), set()).add(fk.reference)
    return referenced


class KeyFiles:
    """Keys of some fields, with their row numbers, in one Arrow file per hash partition."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}

    def add(self, columns: Sequence[Values], rows: np.ndarray[Any, np.dtype[np.int64]]) -> None:
        keys, present = _keys(columns)
        if not len(keys):
            return
        order, runs = by_partition(_fingerprints(keys), PARTITION_BITS)
        kept = rows[present.to_numpy(zero_copy_only=False)]
        batch = pa.record_batch([keys.take(pa.array(order)), pa.array(kept[order])], schema=_KEYS)
        for index, start, count in runs:
            self._writer(index).write_batch(batch.slice(start, count))

    def _writer(self, index: int) -> pa.ipc.RecordBatchFileWriter:
        if index not in self.writers:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.writers[index] = pa.ipc.new_file(str(self._path(index)), _KEYS)
        return self.writers[index]

    def _path(self, index: int) -> Path:
        return self.folder / f"keys-{index:02d}.arrow"

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def read(self, index: int) -> pa.Table | None:
        if index not in self.writers:
            return None
        with pa.memory_map(str(self._path(index))) as source:
            return pa.ipc.open_file(source).read_all()


class TableKeys:
    """What foreign keys need of one table: the values of its own foreign keys (``outgoing``)
    and the keys other tables' foreign keys reference in it (``referenced``)."""

    def __init__(
        self,
        name: str,
        folder: Path,
        *,
        outgoing: Sequence[ForeignKey] = (),
        referenced: Iterable[tuple[str, ...]] = (),
    ) -> None:
        self.name = name
        self.outgoing = {fk: KeyFiles(folder / f"fk-{i}") for i, fk in enumerate(outgoing)}
        self.referenced = {
            fields: KeyFiles(folder / f"key-{i}") for i, fields in enumerate(sorted(referenced))
        }

    def add(self, columns: Mapping[str, Values], rows: Rows) -> None:
        """One typed block of the table (the validator's hook)."""
        numbers = rows.numbers(np.arange(len(next(iter(columns.values()))), dtype=np.int64))
        for fk, files in self.outgoing.items():
            files.add([columns[name] for name in fk.fields], numbers)
        for fields, files in self.referenced.items():
            files.add([columns[name] for name in fields], numbers)

    def add_parquet(self, path: Path, *, batch_rows: int = 65_536) -> None:
        """The referenced keys of a validated version, read from its Parquet."""
        needed = sorted({name for fields in self.referenced for name in fields})
        numbers = np.zeros(batch_rows, np.int64)
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=needed):
            for fields, files in self.referenced.items():
                files.add([batch.column(name) for name in fields], numbers[: batch.num_rows])

    def close(self) -> None:
        for files in [*self.outgoing.values(), *self.referenced.values()]:
            files.close()


def check(tables: Mapping[str, TableKeys], reports: Mapping[str, Report]) -> None:
    """Every foreign key of the tables in ``reports``, looked up in the keys it references; a
    reference to a table (or fields) not in ``tables`` is one error, with no row."""
    for name, report in reports.items():
        for fk, values in tables[name].outgoing.items():
            target = fk.target(name)
            rule = f"reference:{target}"
            keys = tables[target].referenced.get(fk.reference) if target in tables else None
            if keys is None:
                note = f"{target}.{'+'.join(fk.reference)} is not in this version (none validated)"
                report.add(KIND, rule, row=None, column=fk.column, value=note)
                continue
            _missing(values, keys, report, rule, fk.column)


def _missing(values: KeyFiles, keys: KeyFiles, report: Report, rule: str, column: str) -> None:
    """The rows whose key is not among ``keys``: all counted, the first ones listed."""
    total, first = 0, [_KEYS.empty_table()]
    for index in sorted(values.writers):
        found = values.read(index)
        assert found is not None
        referenced = keys.read(index)
        if referenced is not None:
            found = found.filter(pc.invert(pc.is_in(found["key"], value_set=referenced["key"])))
        total += found.num_rows
        ahead = min(report.max_errors, found.num_rows)
        if ahead:  # a copy of the first rows, not a view that would hold the whole partition
            first.append(found.take(pc.select_k_unstable(found, ahead, [("row", "ascending")])))
    if not total:
        return
    key = report.count(rule, column, total)
    listed = pa.concat_tables(first).sort_by("row").slice(0, report.room(key))
    hidden = report.hides(column)
    for text, row in zip(listed["key"].to_pylist(), listed["row"].to_pylist(), strict=True):
        shown = ", ".join(part.replace(_MISSING, "") for part in text.split(_SEPARATOR))
        value = None if hidden or looks_identifying(shown) else shown
        report.keep(key, {"type": KIND, "rule": rule, "row": row, "column": column}, value)


def _keys(columns: Sequence[Values]) -> tuple[pa.Array, pa.Array]:
    """Each row's key as text, for the rows with at least one of its fields present."""
    texts, present = [], None
    for values in columns:
        array = _combined(values)
        valid = pc.is_valid(array)
        present = valid if present is None else pc.or_(present, valid)
        text = array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
        texts.append(pc.fill_null(text, _MISSING))
    assert present is not None
    key = texts[0] if len(texts) == 1 else pc.binary_join_element_wise(*texts, _SEPARATOR)
    return _combined(key).filter(present), present


def _names(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
