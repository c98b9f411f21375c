"""File-to-file Parquet transforms, one record batch at a time (memory bounded by the batch).

Pure and synchronous: jobs run them in a thread on local temporary files.
"""

import contextlib
import functools
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hdh_identifiers import nir as nir_rules
from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.identifiers import dates, names, nir, sex
from linkage.identifiers.checked import Checked, blank_to_null
from linkage.matching import french
from linkage.pseudonyms.hmac import KeyedHasher

Progress = Callable[[int], None]
TAGS = {
    Identifier.NIR: b"nir\x00",
    Identifier.NATIONAL_PSEUDONYM: b"national-pseudonym\x00",
    Identifier.NAME: b"name\x00",
    Identifier.DIRECT: b"direct\x00",
}
# Keys derived from a clear name (normalised form, phonetic code, first part), each keyed
# under its own tag: comparable across name columns (a surname with a usage name), never
# across keys (a phonetic code never equals a first part).
NAME_KEY_TAGS = {key: b"name:" + key.encode() + b"\x00" for key in french.DERIVED}
PROJECT_TAG = b"central\x00"
META_DOMAIN = b"hdh.domain"
META_KEY_VERSION = b"hdh.key_version"
META_PSEUDONYMISED = b"hdh.pseudonymised_columns"


def open_parquet(source: Path) -> pq.ParquetFile:
    """A reader that streams: pyarrow's default pre-buffering keeps every column chunk it
    has read, so memory would grow with the file; a 1 MiB read buffer instead."""
    return pq.ParquetFile(source, pre_buffer=False, buffer_size=READ_BUFFER)


READ_BUFFER = 1 << 20


class Cancelled(Exception):
    pass


class PipelineError(Exception):
    """A problem with the input's shape; its message names columns, never values."""


@dataclass
class ColumnReport:
    identifier: str
    valid: int = 0
    missing: int = 0
    invalid: dict[str, int] = field(default_factory=dict)

    def add(self, *, valid: int, missing: int, invalid: dict[str, int]) -> None:
        self.missing += missing
        self.valid += valid
        for rule, n in invalid.items():
            self.invalid[rule] = self.invalid.get(rule, 0) + n


Stats = dict[str, tuple[int, int, dict[str, int]]]


@dataclass
class Outcome:
    rows_in: int = 0
    rows_out: int = 0
    excluded: int = 0
    outside_period: int = 0
    columns: dict[str, ColumnReport] = field(default_factory=dict)
    undeclared: list[str] = field(default_factory=list)

    def count(self, rows: int, stats: Stats) -> None:
        """A pseudonymised batch of ``rows``, with its columns' ``stats``."""
        for name, (valid, absent, invalid) in stats.items():
            self.columns[name].add(valid=valid, missing=absent, invalid=invalid)
        self.rows_in += rows
        self.rows_out += rows

    def merge(self, other: "Outcome") -> None:
        """Adds the counts of ``other`` (another part of the same input)."""
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.excluded += other.excluded
        self.outside_period += other.outside_period
        for name, column in other.columns.items():
            mine = self.columns.setdefault(name, ColumnReport(identifier=column.identifier))
            mine.add(valid=column.valid, missing=column.missing, invalid=column.invalid)


@dataclass(frozen=True)
class Period:
    """The grant's period, applied to a table's event-date ``columns`` (bounds included)."""

    start: date
    end: date
    columns: tuple[str, ...]


def check_identifier(kind: Identifier, values: pa.Array) -> Checked:
    """The values of an identifier column checked and normalised (invalid ones null)."""
    if kind is Identifier.NIR:
        return nir.check(values)
    if kind is Identifier.NAME:
        return names.check(values)
    if kind is Identifier.SEX:
        return sex.check(values)
    if kind is Identifier.BIRTH_DATE:
        return dates.check(values)
    normal = blank_to_null(values)
    if kind is Identifier.DIRECT:
        normal = pc.utf8_upper(normal)
    return Checked(normal, {}, normal.null_count)


def _output_type(kind: Identifier, source: pa.DataType) -> pa.DataType:
    if kind in PSEUDONYMISED_KINDS or kind is Identifier.SEX:
        return pa.string()
    return pa.date32() if kind is Identifier.BIRTH_DATE else source


def _metadata(domain: str, version: int, pseudonymised: Sequence[str]) -> dict[bytes, bytes]:
    return {
        META_DOMAIN: domain.encode(),
        META_KEY_VERSION: str(version).encode(),
        META_PSEUDONYMISED: json.dumps(list(pseudonymised)).encode(),
    }


@dataclass(frozen=True)
class CentralKey:
    """``name_keys``: a hasher per key derived from names (:data:`NAME_KEY_TAGS`); with
    them, each name column gets its keyed derived columns (``surname:phonetic``…)."""

    domain: str
    version: int
    hashers: dict[Identifier, KeyedHasher]
    name_keys: dict[str, KeyedHasher] = field(default_factory=dict)


def derived_name_columns(kinds: Mapping[str, Identifier], key: CentralKey) -> list[str]:
    return [
        f"{name}:{derived}"
        for name, kind in kinds.items()
        if kind is Identifier.NAME
        for derived in key.name_keys
    ]


def _derived_fields(
    kinds: Mapping[str, Identifier], key: CentralKey, present: Sequence[str]
) -> list[pa.Field]:
    derived = derived_name_columns(kinds, key)
    clashing = [n for n in derived if n in present]
    if clashing:
        raise PipelineError(f"columns clash with derived name keys: {', '.join(clashing)}")
    return [pa.field(n, pa.string()) for n in derived]


def plan_pseudonymisation(
    schema: pa.Schema, *, columns: Sequence[ColumnSpec], key: CentralKey
) -> tuple["BatchJob", Outcome]:
    """The transform of a file's batches (checked, pseudonymised, its output schema) and the
    outcome it starts from (the declared columns, none counted yet)."""
    kinds = {c.name: c.identifier for c in columns}
    missing = [name for name in kinds if name not in schema.names]
    if missing:
        raise PipelineError(f"declared columns absent from the file: {', '.join(missing)}")
    outcome = Outcome(undeclared=[n for n in schema.names if n not in kinds])
    kinds = {n: kinds[n] for n in schema.names if n in kinds}  # the file's order
    fields = [
        pa.field(f.name, _output_type(kinds.get(f.name, Identifier.NONE), f.type)) for f in schema
    ]
    fields += _derived_fields(kinds, key, schema.names)
    hashed = [n for n, k in kinds.items() if k in PSEUDONYMISED_KINDS]
    hashed += derived_name_columns(kinds, key)
    output = pa.schema(fields, metadata=_metadata(key.domain, key.version, hashed))
    for name, kind in kinds.items():
        if kind is not Identifier.NONE:
            outcome.columns[name] = ColumnReport(identifier=kind.value)
    return BatchJob(kinds=kinds, key=key, schema=output, pseudonymised=tuple(hashed)), outcome


def pseudonymise_file(
    source: Path,
    target: Path,
    *,
    columns: Sequence[ColumnSpec],
    key: CentralKey,
    batch_rows: int,
    progress: Progress,
    workers: int = 1,
) -> Outcome:
    """Replace identifier columns by central pseudonyms (or normalised quasi-identifiers).

    With ``workers`` > 1 and a file of several batches, batches are transformed by that many
    threads and written in order.
    """
    reader = open_parquet(source)
    job, outcome = plan_pseudonymisation(reader.schema_arrow, columns=columns, key=key)
    parallel = workers > 1 and reader.metadata.num_rows > PARALLEL_FROM_BATCHES * batch_rows
    batches = reader.iter_batches(batch_size=batch_rows)
    with (
        Writer(target, job.schema, pseudonymised=job.pseudonymised) as writer,
        _mapper(job, workers if parallel else 1) as run,
    ):
        for batch, stats in run(batches):
            writer.write_batch(batch)
            outcome.count(batch.num_rows, stats)
            progress(batch.num_rows)
    return outcome


PARALLEL_FROM_BATCHES = 8
REPEATED = 0.5


class Writer:
    """A Parquet writer opened at the first batch, which tells whether the pseudonym columns
    repeat (care data: several rows per person), and are then dictionary-encoded. Pseudonyms
    are stored uncompressed (a codec finds nothing in HMAC output but those repeats) and
    without statistics (their minimum and maximum serve no query)."""

    def __init__(self, target: Path, schema: pa.Schema, *, pseudonymised: Sequence[str]) -> None:
        self._target, self._schema, self._pseudonymised = target, schema, set(pseudonymised)
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *_: object) -> None:
        self._open(None).close()

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._open(batch).write_batch(batch)

    def _open(self, first: pa.RecordBatch | None) -> pq.ParquetWriter:
        if self._writer is None:
            names = self._schema.names
            plain = [n for n in names if n in self._pseudonymised and not _repeats(first, n)]
            self._writer = pq.ParquetWriter(
                self._target,
                self._schema,
                use_dictionary=[n for n in names if n not in plain],
                compression={n: "none" if n in self._pseudonymised else "snappy" for n in names},
                write_statistics=[n for n in names if n not in self._pseudonymised],
            )
        return self._writer


def _repeats(batch: pa.RecordBatch | None, name: str) -> bool:
    if batch is None:
        return False
    values = batch.column(name)
    present = len(values) - int(values.null_count)
    return present > 0 and int(pc.count_distinct(values).as_py()) < REPEATED * present


@dataclass(frozen=True)
class BatchJob:
    """Pseudonymisation of one batch; picklable (its hashers too) for Spark's executors."""

    kinds: dict[str, Identifier]
    key: CentralKey
    schema: pa.Schema
    pseudonymised: tuple[str, ...]

    def __call__(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, Stats]:
        stats: Stats = {}
        arrays, derived = [], []
        for i, name in enumerate(batch.schema.names):
            kind = self.kinds.get(name, Identifier.NONE)
            values = batch.column(i)
            if kind is not Identifier.NONE:
                checked = check_identifier(kind, values)
                valid = len(checked.values) - checked.values.null_count
                stats[name] = (valid, checked.missing, checked.invalid)
                values = checked.values
                if kind is Identifier.NAME:
                    derived += self._name_keys(values)
                if kind in PSEUDONYMISED_KINDS:
                    values = self.key.hashers[kind].pseudonyms(values)
            arrays.append(values)
        return pa.RecordBatch.from_arrays([*arrays, *derived], schema=self.schema), stats

    def _name_keys(self, clear: pa.Array) -> list[pa.Array]:
        """The keyed pseudonyms of the keys derived from clear names, in the order of
        :func:`derived_name_columns`."""
        return [
            hasher.pseudonyms(french.derive(clear, derived))
            for derived, hasher in self.key.name_keys.items()
        ]


Runner = Callable[[Iterable[pa.RecordBatch]], Iterator[tuple[pa.RecordBatch, Stats]]]
_Done = object()


@contextlib.contextmanager
def _mapper(job: BatchJob, workers: int) -> Iterator[Runner]:
    """Batches transformed in order; with ``workers`` > 1, a pipeline: one thread reads
    (decodes) batches, ``workers`` threads transform them, the caller's thread writes them,
    all at once (the pyarrow kernels and the C kernel release the GIL), with at most two
    batches per worker in flight."""
    if workers <= 1:
        yield lambda batches: map(job, batches)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="pseudonymise") as pool:
        yield functools.partial(_pipelined, job, pool, 2 * workers)


def _pipelined(
    job: BatchJob, pool: ThreadPoolExecutor, depth: int, batches: Iterable[pa.RecordBatch]
) -> Iterator[tuple[pa.RecordBatch, Stats]]:
    pending: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                pending.put(item, timeout=0.05)
                return

    def read() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                put(pool.submit(job, batch))
        except BaseException as error:  # handed to the writing thread, which raises it
            put(error)
        else:
            put(_Done)

    reader = threading.Thread(target=read, name="pseudonymise-read", daemon=True)
    reader.start()
    try:
        while (item := pending.get()) is not _Done:
            if isinstance(item, BaseException):
                raise item
            yield item.result()
    finally:
        stop.set()
        while reader.is_alive() or not pending.empty():
            with contextlib.suppress(queue.Empty):
                item = pending.get(timeout=0.05)
                if isinstance(item, Future):
                    item.cancel()
        reader.join()


def read_metadata(path: Path) -> tuple[int, list[str]]:
    """The key version and pseudonymised columns recorded in a Parquet file."""
    metadata = pq.read_schema(path).metadata or {}
    return int(metadata[META_KEY_VERSION]), json.loads(metadata[META_PSEUDONYMISED])


# A NIR's layout, the key optional, starting as a scan accepts (not 3: CIP13, EAN-13).
_NIR_BODY = nir_rules.pattern(first=nir_rules.SCAN_FIRST_DIGITS, optional_key=True)
_NIR_IN_TEXT = rf"(?:^|[^0-9A-Z]){_NIR_BODY}(?:$|[^0-9A-Z])"
_NIR_WHOLE = rf"^{_NIR_BODY}$"


def nir_shaped(values: pa.Array) -> bool:
    """Whether any value is, or holds, something shaped like a NIR (13 or 15 characters,
    separators allowed); integers are read as their digits."""
    if pa.types.is_integer(values.type) or pa.types.is_dictionary(values.type):
        values = pc.cast(values, pa.string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return False
    text = pc.utf8_upper(values)
    squeezed = pc.replace_substring_regex(text, r"[\s.\-_]", "")
    return any(
        pc.any(pc.match_substring_regex(found, pattern)).as_py()
        for found, pattern in ((text, _NIR_IN_TEXT), (squeezed, _NIR_WHOLE))
    )


def _covered(
    table: str,
    wanted: Sequence[str],
    declared: Mapping[str, Identifier],
    pseudonymised: Sequence[str],
) -> None:
    """Every column to write is one the catalogue validated, pseudonymised if an identifier."""
    for name in wanted:
        if name not in declared:
            raise PipelineError(
                f"table {table}: column {name} is not covered by the validated version"
            )
        if declared[name] in PSEUDONYMISED_KINDS and name not in pseudonymised:
            raise PipelineError(f"table {table}: column {name} is not pseudonymised in central")


def plan_extract(
    schema: pa.Schema,
    pseudonymised: Sequence[str],
    *,
    table: str,
    variables: Iterable[str],
    declared: Mapping[str, Identifier],
    project: CentralKey,
    excluded_persons: pa.Array | None = None,
    period: Period | None = None,
) -> "ExtractBatch":
    """The transform of a central file's batches into a project's extract (see
    :func:`extract_file`), refused first when a column may not be written."""
    wanted = [n for n in schema.names if n in set(variables)]
    if not wanted:
        raise PipelineError("none of the granted variables is in the dataset")
    _covered(table, wanted, declared, pseudonymised)
    dated = period.columns if period is not None else ()
    for missing in [n for n in dated if n not in schema.names]:
        raise PipelineError(f"table {table}: its event date {missing} is not in the file")
    rekeyed = [n for n in wanted if n in pseudonymised]
    return ExtractBatch(
        table=table,
        wanted=tuple(wanted),
        read_columns=(*wanted, *(n for n in dated if n not in wanted)),
        rekeyed=tuple(rekeyed),
        pseudonymised=tuple(pseudonymised),
        hasher=project.hashers[Identifier.NONE],
        schema=pa.schema(
            [schema.field(n) for n in wanted],
            metadata=_metadata(project.domain, project.version, rekeyed),
        ),
        excluded_persons=excluded_persons,
        period=period,
    )


@dataclass(frozen=True)
class ExtractBatch:
    """One batch of a central file into the extract; picklable for Spark's executors."""

    table: str
    wanted: tuple[str, ...]
    read_columns: tuple[str, ...]
    rekeyed: tuple[str, ...]
    pseudonymised: tuple[str, ...]
    hasher: KeyedHasher
    schema: pa.Schema
    excluded_persons: pa.Array | None
    period: Period | None

    def __call__(self, batch: pa.RecordBatch, outcome: Outcome) -> pa.RecordBatch:
        outcome.rows_in += batch.num_rows
        if self.period is not None and self.period.columns:
            batch = _inside(batch, self.period, table=self.table, outcome=outcome)
        batch = _without_objectors(batch, self.pseudonymised, self.excluded_persons, outcome)
        for name in self.wanted:
            if name not in self.rekeyed and nir_shaped(batch.column(name)):
                raise PipelineError(f"table {self.table}: column {name} holds NIR-shaped values")
        arrays = [
            self.hasher.pseudonyms(batch.column(n)) if n in self.rekeyed else batch.column(n)
            for n in self.wanted
        ]
        outcome.rows_out += batch.num_rows
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def extract_file(
    source: Path,
    target: Path,
    *,
    table: str,
    variables: Iterable[str],
    declared: Mapping[str, Identifier],
    project: CentralKey,
    batch_rows: int,
    progress: Progress,
    excluded_persons: pa.Array | None = None,
    period: Period | None = None,
) -> Outcome:
    """Keep only ``variables``, re-keying central pseudonyms into the project's domain.

    Only columns ``declared`` by the catalogue's validation are written, and none but the
    pseudonyms may hold a NIR-shaped value: the extract fails first, naming the column.
    Rows whose pseudonym columns hold one of ``excluded_persons`` (objections, as central
    pseudonyms) are dropped and counted, and so are the rows outside the grant's ``period``
    (none of its event dates inside it), whether or not the event dates are granted.
    """
    reader = open_parquet(source)
    _, pseudonymised = read_metadata(source)
    job = plan_extract(
        reader.schema_arrow,
        pseudonymised,
        table=table,
        variables=variables,
        declared=declared,
        project=project,
        excluded_persons=excluded_persons,
        period=period,
    )
    outcome = Outcome()
    with Writer(target, job.schema, pseudonymised=job.rekeyed) as writer:
        for batch in reader.iter_batches(batch_size=batch_rows, columns=job.read_columns):
            writer.write_batch(job(batch, outcome))
            progress(batch.num_rows)
    return outcome


def _inside(
    batch: pa.RecordBatch, period: Period, *, table: str, outcome: Outcome
) -> pa.RecordBatch:
    """The rows with one of their event dates inside the period; a row with none is out."""
    start, end = pa.scalar(period.start, pa.date32()), pa.scalar(period.end, pa.date32())
    keep = pa.array([False] * batch.num_rows)
    for name in period.columns:
        days = _days(batch.column(name), table=table, name=name)
        inside = pc.and_(pc.greater_equal(days, start), pc.less_equal(days, end))
        keep = pc.or_(keep, pc.fill_null(inside, False))
    kept = batch.filter(keep)
    outcome.outside_period += batch.num_rows - kept.num_rows
    return kept


def _days(values: pa.Array, *, table: str, name: str) -> pa.Array:
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        return pc.cast(values, pa.date32())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        try:
            return pc.cast(pc.utf8_slice_codeunits(values, 0, 10), pa.date32())
        except pa.ArrowInvalid:
            pass
    raise PipelineError(f"table {table}: its event date {name} does not hold ISO dates")


def _without_objectors(
    batch: pa.RecordBatch,
    pseudonymised: Sequence[str],
    excluded: pa.Array | None,
    outcome: Outcome,
) -> pa.RecordBatch:
    columns = [n for n in pseudonymised if n in batch.schema.names]
    if excluded is None or len(excluded) == 0 or not columns:
        return batch
    hit = pa.array([False] * batch.num_rows)
    for name in columns:
        hit = pc.or_(hit, pc.fill_null(pc.is_in(batch.column(name), value_set=excluded), False))
    outcome.excluded += int(pc.sum(pc.cast(hit, pa.int64())).as_py() or 0)
    return batch.filter(pc.invert(hit))
