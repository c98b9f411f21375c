"""File-to-file Parquet transforms, one record batch at a time (memory bounded by the batch).

Pure and synchronous: jobs run them in a thread on local temporary files.
"""

import collections
import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.identifiers import dates, names, nir, sex
from linkage.identifiers.checked import Checked, blank_to_null
from linkage.pseudonyms.hmac import KeyedHasher

Progress = Callable[[int], None]
TAGS = {
    Identifier.NIR: b"nir\x00",
    Identifier.NATIONAL_PSEUDONYM: b"national-pseudonym\x00",
    Identifier.NAME: b"name\x00",
    Identifier.DIRECT: b"direct\x00",
}
PROJECT_TAG = b"central\x00"
META_DOMAIN = b"hdh.domain"
META_KEY_VERSION = b"hdh.key_version"
META_PSEUDONYMISED = b"hdh.pseudonymised_columns"


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


@dataclass
class Outcome:
    rows_in: int = 0
    rows_out: int = 0
    excluded: int = 0
    columns: dict[str, ColumnReport] = field(default_factory=dict)
    undeclared: list[str] = field(default_factory=list)


def _check(kind: Identifier, values: pa.Array) -> Checked:
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
    domain: str
    version: int
    hashers: dict[Identifier, KeyedHasher]


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
    reader = pq.ParquetFile(source)
    kinds = {c.name: c.identifier for c in columns}
    missing = [name for name in kinds if name not in reader.schema_arrow.names]
    if missing:
        raise PipelineError(f"declared columns absent from the file: {', '.join(missing)}")
    outcome = Outcome(undeclared=[n for n in reader.schema_arrow.names if n not in kinds])
    fields = [
        pa.field(f.name, _output_type(kinds.get(f.name, Identifier.NONE), f.type))
        for f in reader.schema_arrow
    ]
    hashed = [n for n, k in kinds.items() if k in PSEUDONYMISED_KINDS]
    schema = pa.schema(fields, metadata=_metadata(key.domain, key.version, hashed))
    for name, kind in kinds.items():
        if kind is not Identifier.NONE:
            outcome.columns[name] = ColumnReport(identifier=kind.value)
    job = _BatchJob(kinds=kinds, key=key, schema=schema)
    parallel = workers > 1 and reader.metadata.num_rows > PARALLEL_FROM_BATCHES * batch_rows
    batches = reader.iter_batches(batch_size=batch_rows)
    plain = [n for n in schema.names if n not in hashed]  # pseudonyms never repeat enough
    with (
        pq.ParquetWriter(target, schema, use_dictionary=plain) as writer,
        _mapper(job, workers if parallel else 1) as run,
    ):
        for batch, stats in run(batches):
            writer.write_batch(batch)
            for name, (valid, absent, invalid) in stats.items():
                outcome.columns[name].add(valid=valid, missing=absent, invalid=invalid)
            outcome.rows_in += batch.num_rows
            outcome.rows_out += batch.num_rows
            progress(batch.num_rows)
    return outcome


PARALLEL_FROM_BATCHES = 8
Stats = dict[str, tuple[int, int, dict[str, int]]]


@dataclass(frozen=True)
class _BatchJob:
    kinds: dict[str, Identifier]
    key: CentralKey
    schema: pa.Schema

    def __call__(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, Stats]:
        stats: Stats = {}
        arrays = []
        for i, name in enumerate(batch.schema.names):
            kind = self.kinds.get(name, Identifier.NONE)
            values = batch.column(i)
            if kind is not Identifier.NONE:
                checked = _check(kind, values)
                valid = len(checked.values) - checked.values.null_count
                stats[name] = (valid, checked.missing, checked.invalid)
                values = checked.values
                if kind in PSEUDONYMISED_KINDS:
                    values = self.key.hashers[kind].pseudonyms(values)
            arrays.append(values)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema), stats


Runner = Callable[[Iterable[pa.RecordBatch]], Iterator[tuple[pa.RecordBatch, Stats]]]


@contextlib.contextmanager
def _mapper(job: _BatchJob, workers: int) -> Iterator[Runner]:
    """Batches transformed in order; with ``workers`` > 1, by threads (the pyarrow kernels and
    the HMAC kernel release the GIL), at most two batches per thread in flight."""
    if workers <= 1:
        yield lambda batches: map(job, batches)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="pseudonymise") as pool:

        def run(batches: Iterable[pa.RecordBatch]) -> Iterator[tuple[pa.RecordBatch, Stats]]:
            pending: collections.deque[Future[tuple[pa.RecordBatch, Stats]]] = collections.deque()
            try:
                for batch in batches:
                    pending.append(pool.submit(job, batch))
                    if len(pending) >= 2 * workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

        yield run


def read_metadata(path: Path) -> tuple[int, list[str]]:
    """The key version and pseudonymised columns recorded in a Parquet file."""
    metadata = pq.read_schema(path).metadata or {}
    return int(metadata[META_KEY_VERSION]), json.loads(metadata[META_PSEUDONYMISED])


def extract_file(
    source: Path,
    target: Path,
    *,
    variables: Iterable[str],
    project: CentralKey,
    batch_rows: int,
    progress: Progress,
    excluded_persons: pa.Array | None = None,
) -> Outcome:
    """Keep only ``variables``, re-keying central pseudonyms into the project's domain.

    Rows whose pseudonym columns hold one of ``excluded_persons`` (objections, as central
    pseudonyms) are dropped and counted.
    """
    reader = pq.ParquetFile(source)
    _, pseudonymised = read_metadata(source)
    wanted = [n for n in reader.schema_arrow.names if n in set(variables)]
    if not wanted:
        raise PipelineError("none of the granted variables is in the dataset")
    rekeyed = [n for n in wanted if n in pseudonymised]
    hasher = project.hashers[Identifier.NONE]
    schema = pa.schema(
        [reader.schema_arrow.field(n) for n in wanted],
        metadata=_metadata(project.domain, project.version, rekeyed),
    )
    outcome = Outcome()
    plain = [n for n in wanted if n not in rekeyed]
    with pq.ParquetWriter(target, schema, use_dictionary=plain) as writer:
        for batch in reader.iter_batches(batch_size=batch_rows, columns=wanted):
            read = batch.num_rows
            outcome.rows_in += read
            batch = _without_objectors(batch, pseudonymised, excluded_persons, outcome)
            arrays = [
                hasher.pseudonyms(batch.column(n)) if n in rekeyed else batch.column(n)
                for n in wanted
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            outcome.rows_out += batch.num_rows
            progress(read)
    return outcome


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
