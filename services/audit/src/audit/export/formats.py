"""Export encodings: each turns row batches into byte chunks, in bounded memory."""

import csv
import io
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from audit.canonical import canonical_json
from audit.entries.document import TEXT_FIELDS

ExportRow = dict[str, Any]
"""``leaf_index``, ``leaf_hash`` (hex, from the tree) and ``entry`` (the hashed document)."""

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP CSV injection)."""
COLUMNS = ("leaf_index", "leaf_hash", "time", *TEXT_FIELDS, "payload", "entry_json")


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"
    PARQUET = "parquet"


MEDIA_TYPES = {
    ExportFormat.NDJSON: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


def flat(row: ExportRow) -> dict[str, Any]:
    """One row as columns; ``entry_json`` keeps the exact hashed bytes for verifiers."""
    entry = row["entry"]
    columns = {name: entry[name] for name in ("time", *TEXT_FIELDS)}
    return {
        "leaf_index": row["leaf_index"],
        "leaf_hash": row["leaf_hash"],
        **columns,
        "payload": json.dumps(entry["payload"], ensure_ascii=False),
        "entry_json": canonical_json(entry).decode(),
    }


class NdjsonEncoder:
    def header(self) -> bytes:
        return b""

    def batch(self, rows: list[ExportRow]) -> bytes:
        return b"".join(canonical_json(row) + b"\n" for row in rows)

    def close(self) -> bytes:
        return b""


class CsvEncoder:
    def header(self) -> bytes:
        return self._lines([dict(zip(COLUMNS, COLUMNS, strict=True))])

    def batch(self, rows: list[ExportRow]) -> bytes:
        return self._lines([flat(row) for row in rows])

    def close(self) -> bytes:
        return b""

    def _lines(self, rows: list[dict[str, Any]]) -> bytes:
        buffer = io.StringIO()
        # RFC 4180 line ends: a field holding either CR or LF is quoted
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writerows({name: _inert(value) for name, value in row.items()} for row in rows)
        return buffer.getvalue().encode()


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, quoted by a leading ``'``;
    ``entry_json`` keeps the exact value."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_LEADS) else value


class _Chunks(io.RawIOBase):
    """A write-only file whose written bytes are taken out after each row group."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


PARQUET_SCHEMA = pa.schema(
    [("leaf_index", pa.int64()), ("leaf_hash", pa.string())]
    + [(name, pa.string()) for name in ("time", *TEXT_FIELDS, "payload", "entry_json")]
)


class ParquetEncoder:
    def __init__(self) -> None:
        self._sink = _Chunks()
        self._writer = pq.ParquetWriter(self._sink, PARQUET_SCHEMA, compression="zstd")

    def header(self) -> bytes:
        return self._sink.take()

    def batch(self, rows: list[ExportRow]) -> bytes:
        table = pa.Table.from_pylist([flat(row) for row in rows], schema=PARQUET_SCHEMA)
        self._writer.write_table(table)
        return self._sink.take()

    def close(self) -> bytes:
        self._writer.close()
        return self._sink.take()


Encoder = NdjsonEncoder | CsvEncoder | ParquetEncoder


def encoder_for(export_format: ExportFormat) -> Encoder:
    if export_format is ExportFormat.PARQUET:
        return ParquetEncoder()
    if export_format is ExportFormat.CSV:
        return CsvEncoder()
    return NdjsonEncoder()


def read_rows(path: Path, export_format: ExportFormat) -> Iterator[tuple[int, str, str]]:
    """``(leaf_index, leaf_hash, entry_json)`` of each exported row, streamed from ``path``."""
    if export_format is ExportFormat.NDJSON:
        with path.open("rb") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    entry = canonical_json(row["entry"]).decode()
                    yield row["leaf_index"], row["leaf_hash"], entry
    elif export_format is ExportFormat.CSV:
        with path.open(newline="", encoding="utf-8") as text:
            for record in csv.DictReader(text):
                yield int(record["leaf_index"]), record["leaf_hash"], record["entry_json"]
    else:
        columns = ["leaf_index", "leaf_hash", "entry_json"]
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000, columns=columns):
            for record in batch.to_pylist():
                yield record["leaf_index"], record["leaf_hash"], record["entry_json"]
