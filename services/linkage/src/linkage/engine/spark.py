"""The Spark engine: the pipeline's batch transforms run by Spark's executors.

Imported only when ``HDH_ENGINE=spark`` (pyspark is the ``spark`` extra).

The file is read by Spark, its partitions' Arrow batches go through the same transform as
the embedded engine's (``mapInArrow``: the same checks, the same HMAC kernel), and the
parts Spark writes are then assembled, in order, into one file by the embedded engine's
writer (same schema, metadata and encodings). The keys travel only as bytes inside the
pickled closure of the tasks (``KeyedHasher`` pickles to its key block): never in a column,
a SQL string or a plan. Counts come back through an accumulator, and so do the pipeline's
own refusals (they name columns, never values), raised again here.
"""

import copy
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.accumulators import AccumulatorParam
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from hdh_common.settings import ServiceSettings
from hdh_common.spark import get_session, is_local
from linkage.engine import spark_linkage
from linkage.events import ColumnSpec, Identifier
from linkage.jobs.pipeline import (
    BatchJob,
    CentralKey,
    Outcome,
    Period,
    PipelineError,
    Progress,
    Writer,
    open_parquet,
    plan_extract,
    plan_pseudonymisation,
    read_metadata,
)
from linkage.matching import fellegi_sunter as fs
from linkage.matching.linker import Linked

APP_NAME = "hdh-linkage"
POLL_SECONDS = 0.2
Transform = Callable[[pa.RecordBatch, Outcome], pa.RecordBatch]


@dataclass
class Tally:
    """What the tasks send back: their counts, and the pipeline's refusals."""

    outcome: Outcome = field(default_factory=Outcome)
    refusals: list[str] = field(default_factory=list)

    def merge(self, other: "Tally") -> "Tally":
        self.outcome.merge(other.outcome)
        self.refusals += other.refusals
        return self


@dataclass(frozen=True)
class Mapped:
    """A frame of transformed batches (lazy: nothing ran yet), and what its tasks tally."""

    frame: DataFrame
    tally: Any
    output: pa.Schema
    pseudonymised: Sequence[str]
    rows: int


class SparkEngine:
    name = "spark"

    def __init__(
        self, *, master: str, batch_rows: int, settings: ServiceSettings | None = None
    ) -> None:
        self.master = master
        self.batch_rows = batch_rows
        self._settings = settings

    @property
    def session(self) -> SparkSession:
        session = get_session(self.master, APP_NAME, storage=self._settings)
        session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(self.batch_rows))
        return session

    def executors(self) -> int:
        """Local mode: one executor (the driver's); else the executors but the driver."""
        if is_local(self.master):
            return 1
        status = self.session.sparkContext._jsc.sc().getExecutorMemoryStatus()
        return max(int(status.size()) - 1, 1)

    def pseudonymise(
        self,
        source: Path,
        target: Path,
        *,
        columns: Sequence[ColumnSpec],
        key: CentralKey,
        progress: Progress,
        label: str,
    ) -> Outcome:
        mapped = self.pseudonymised(source, columns=columns, key=key)
        return self._write(mapped, target, progress=progress, label=label)

    def pseudonymised(
        self, source: Path, *, columns: Sequence[ColumnSpec], key: CentralKey
    ) -> Mapped:
        reader = open_parquet(source)
        job, start = plan_pseudonymisation(reader.schema_arrow, columns=columns, key=key)
        return self._mapped(
            self.session.read.parquet(str(source)),
            _Pseudonymise(job),
            source=reader.schema_arrow,
            output=job.schema,
            pseudonymised=job.pseudonymised,
            start=start,
            rows=reader.metadata.num_rows,
        )

    def extract(
        self,
        source: Path,
        target: Path,
        *,
        table: str,
        variables: Iterable[str],
        declared: Mapping[str, Identifier],
        project: CentralKey,
        progress: Progress,
        label: str,
        excluded_persons: pa.Array | None = None,
        period: Period | None = None,
    ) -> Outcome:
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
        frame = self.session.read.parquet(str(source)).select(*map(_quoted, job.read_columns))
        mapped = self._mapped(
            frame,
            job,
            source=pa.schema([reader.schema_arrow.field(n) for n in job.read_columns]),
            output=job.schema,
            pseudonymised=job.rekeyed,
            start=Outcome(),
            rows=reader.metadata.num_rows,
        )
        return self._write(mapped, target, progress=progress, label=label)

    def link(self, settings: fs.Settings, left: pa.Table, right: pa.Table | None = None) -> Linked:
        return spark_linkage.link(self.session, settings, left, right)

    def _mapped(
        self,
        frame: DataFrame,
        transform: Transform,
        *,
        source: pa.Schema,
        output: pa.Schema,
        pseudonymised: Sequence[str],
        start: Outcome,
        rows: int,
    ) -> Mapped:
        spark_schema = from_arrow_schema(output)
        tally = self.session.sparkContext.accumulator(
            Tally(outcome=copy.deepcopy(start)), _TallyParam()
        )
        batches = _Batches(
            transform=transform,
            source=pa.schema(list(source)),
            output=to_arrow_schema(spark_schema),
            start=start,
            tally=tally,
        )
        return Mapped(
            frame=frame.mapInArrow(batches, spark_schema),
            tally=tally,
            output=output,
            pseudonymised=pseudonymised,
            rows=rows,
        )

    def _write(self, mapped: Mapped, target: Path, *, progress: Progress, label: str) -> Outcome:
        """The frame's parts written by Spark, then assembled into ``target``."""
        parts = target.with_name(target.name + ".parts")
        try:
            # Scratch parts, read once by the assembly: not worth a codec's time.
            writer = mapped.frame.write.option("compression", "none")
            self._watched(lambda: writer.parquet(str(parts)), label, mapped.rows, progress)
            found: Tally = mapped.tally.value
            if found.refusals:
                raise PipelineError(found.refusals[0])
            _assemble(parts, target, mapped.output, mapped.pseudonymised)
        finally:
            shutil.rmtree(parts, ignore_errors=True)
        return found.outcome

    def _watched(
        self, action: Callable[[], None], label: str, rows: int, progress: Progress
    ) -> None:
        """``action`` under the job group ``label``, its progress (the share of tasks done)
        reported while it runs; a cancellation seen by ``progress`` cancels the group."""
        context = self.session.sparkContext
        errors: list[BaseException] = []

        def act() -> None:
            context.setJobGroup(label, "hdh-linkage job", interruptOnCancel=True)
            try:
                action()
            except BaseException as error:  # raised again in the caller's thread
                errors.append(error)

        worker = threading.Thread(target=act, name=f"spark-{label}", daemon=True)
        worker.start()
        reported = 0
        try:
            while worker.is_alive():
                worker.join(POLL_SECONDS)
                done = int(rows * _share_done(context, label))
                progress(done - reported)
                reported = done
        except BaseException:
            context.cancelJobGroup(label)
            worker.join()
            raise
        if errors:
            raise errors[0]
        progress(rows - reported)


class _TallyParam(AccumulatorParam[Tally]):
    def zero(self, value: Tally) -> Tally:
        return copy.deepcopy(value)

    def addInPlace(self, value1: Tally, value2: Tally) -> Tally:
        return value1.merge(value2)


@dataclass(frozen=True)
class _Pseudonymise:
    job: BatchJob

    def __call__(self, batch: pa.RecordBatch, outcome: Outcome) -> pa.RecordBatch:
        out, stats = self.job(batch)
        outcome.count(batch.num_rows, stats)
        return out


@dataclass(frozen=True)
class _Batches:
    """The function Spark runs over a partition's Arrow batches, on the executors."""

    transform: Transform
    source: pa.Schema
    output: pa.Schema
    start: Outcome
    tally: Any

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        found = Tally(outcome=copy.deepcopy(self.start))
        try:
            for batch in batches:
                typed = pa.Table.from_batches([batch]).cast(self.source).combine_chunks()
                for one in typed.to_batches():
                    done = self.transform(one, found.outcome)
                    yield from pa.Table.from_batches([done]).cast(self.output).to_batches()
        except PipelineError as refusal:
            found.refusals.append(str(refusal))
        self.tally.add(found)


def _share_done(context: Any, group: str) -> float:
    tracker = context.statusTracker()
    total = done = 0
    for job_id in tracker.getJobIdsForGroup(group):
        job = tracker.getJobInfo(job_id)
        for stage_id in job.stageIds if job is not None else ():
            stage = tracker.getStageInfo(stage_id)
            if stage is not None:
                total += stage.numTasks
                done += stage.numCompletedTasks
    return done / total if total else 0.0


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _assemble(parts: Path, target: Path, schema: pa.Schema, pseudonymised: Sequence[str]) -> None:
    """Spark's parts, in the input's order, into one file written as the embedded engine
    writes it."""
    with Writer(target, schema, pseudonymised=pseudonymised) as writer:
        for part in sorted(parts.glob("part-*.parquet")):
            for batch in open_parquet(part).iter_batches():
                table = pa.Table.from_batches([batch]).cast(schema)
                for one in table.to_batches():
                    writer.write_batch(one)
