"""Run a compiled query on Spark SQL over a project's Parquet, for tables past one machine.

The request is compiled from the same :class:`QueryRequest` in Spark's dialect
(:data:`workspace.queries.compile.SPARK`), values bound as parameters; the tables are the
temporary views ``t0``, ``t1``… of a session of its own (another query's views are not
visible to it). The rows go to the same disclosure control as DuckDB's
(:func:`workspace.queries.engine.answer`), so both engines release the same answer. A query
that runs past its time, or is stopped through its :class:`Cancel`, has its Spark jobs
cancelled.
"""

import threading
import uuid
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark import SparkContext
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession

from workspace.queries.compile import SPARK, CompiledQuery, compile_query
from workspace.queries.disclosure import Control
from workspace.queries.engine import Cancel, Limits, answer
from workspace.queries.errors import QueryCancelled, QueryLimitExceeded
from workspace.queries.schemas import ProjectTable, QueryAnswer, QueryRequest

RECANCEL_SECONDS = 0.2


class _Stop:
    """Cancels a query's job group, and again until the query ends: a cancellation reaches
    only the jobs running, and a query may start another after it."""

    def __init__(self, context: SparkContext, group: str) -> None:
        self._context, self._group = context, group
        self._ended = threading.Event()

    def __call__(self) -> None:
        threading.Thread(target=self._cancel, name=f"stop-{self._group}", daemon=True).start()

    def _cancel(self) -> None:
        while True:
            self._context.cancelJobGroup(self._group)
            if self._ended.wait(RECANCEL_SECONDS):
                return

    def end(self) -> None:
        self._ended.set()


def fetch(
    spark: SparkSession, compiled: CompiledQuery, limits: Limits, cancel: Cancel | None = None
) -> list[dict[str, Any]]:
    cancel = cancel or Cancel()
    session = spark.newSession()
    for alias, table in compiled.views.items():
        session.read.parquet(*map(str, table.paths)).createOrReplaceTempView(alias)
    group = f"query-{uuid.uuid4()}"
    context = session.sparkContext
    context.setJobGroup(group, "aggregate query", interruptOnCancel=True)
    stop = _Stop(context, group)
    timer = threading.Timer(limits.seconds, stop)
    timer.start()
    cancel.attach(stop)
    try:
        if cancel.reason is not None:  # stopped before it started
            raise QueryCancelled(cancel.reason)
        frame = session.sql(f"{compiled.sql} LIMIT {limits.max_cells + 1}", args=compiled.params)
        rows = [row.asDict() for row in frame.collect()]
    except (PySparkException, Py4JJavaError) as error:  # a cancelled job: the last two
        if cancel.reason is not None:
            raise QueryCancelled(cancel.reason) from error
        if timer.is_alive():
            raise
        raise QueryLimitExceeded(f"The query ran past {limits.seconds:g} s.") from error
    finally:
        timer.cancel()
        cancel.attach(None)
        stop.end()
        context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    if cancel.reason is not None:  # stopped before its job started: the job ran, unanswered
        raise QueryCancelled(cancel.reason)
    if len(rows) > limits.max_cells:
        raise QueryLimitExceeded(f"The query has more than {limits.max_cells} cells.")
    return rows


def run_query(
    spark: SparkSession,
    request: QueryRequest,
    tables: dict[str, ProjectTable],
    *,
    limits: Limits | None = None,
    control: Control | None = None,
    cancel: Cancel | None = None,
) -> QueryAnswer:
    """:func:`workspace.queries.engine.run_query` on Spark."""
    compiled = compile_query(request, tables, SPARK)
    return answer(request, compiled, fetch(spark, compiled, limits or Limits(), cancel), control)
