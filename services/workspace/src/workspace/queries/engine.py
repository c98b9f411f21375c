"""Run a compiled query on DuckDB over a project's Parquet, sandboxed and with limits.

The Parquet files are read by DuckDB through the views ``t0``, ``t1``…, the only paths the
connection may open (``allowed_paths``); beyond them it has no external access (no other
file, no network, ``ATTACH``, ``COPY`` or extension install), its configuration is locked,
and memory, threads and time are bounded: a query that runs past its time is interrupted,
and another thread can stop it at any time through its :class:`Cancel`.
"""

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from workspace.queries.compile import CompiledQuery, compile_query
from workspace.queries.disclosure import Control, protect
from workspace.queries.errors import QueryCancelled, QueryLimitExceeded
from workspace.queries.schemas import ProjectTable, QueryAnswer, QueryRequest


@dataclass(frozen=True)
class Limits:
    memory: str = "768MB"
    threads: int = 2
    seconds: float = 30.0
    max_cells: int = 10_000


class Cancel:
    """Stops a running query from another thread: before it starts, or while it runs. The
    running engine attaches how to stop it (DuckDB: interrupt the connection; Spark: cancel
    the query's job group)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop: Callable[[], None] | None = None
        self.reason: str | None = None

    def attach(self, stop: Callable[[], None] | None) -> None:
        with self._lock:
            self._stop = stop
            if stop is not None and self.reason is not None:
                stop()

    def __call__(self, reason: str) -> None:
        with self._lock:
            self.reason = reason
            if self._stop is not None:
                self._stop()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sandbox(
    views: dict[str, ProjectTable], limits: Limits, *, progress: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection that reads only the given tables' files, as views of the given names
    (``t0``, ``t1``… for a structured query, the tables' own names for an analysis)."""
    connection = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": limits.memory,
            "threads": limits.threads,
        },
    )
    paths = [str(path) for table in views.values() for path in table.paths]
    connection.execute(f"SET allowed_paths = [{', '.join(map(_literal, paths))}]")
    for alias, table in views.items():
        files = ", ".join(_literal(str(path)) for path in table.paths)
        name = '"' + alias.replace('"', '""') + '"'
        view = f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{files}])"  # noqa: S608
        connection.execute(view)
    settings = ["enable_external_access = false", f"enable_progress_bar = {str(progress).lower()}"]
    if progress:
        settings.append("enable_progress_bar_print = false")
    for setting in settings:
        connection.execute(f"SET {setting}")
    connection.execute("SET lock_configuration = true")
    return connection


def fetch(
    compiled: CompiledQuery, limits: Limits, cancel: Cancel | None = None
) -> list[dict[str, Any]]:
    cancel = cancel or Cancel()
    connection = sandbox(compiled.views, limits)
    cancel.attach(connection.interrupt)
    timer = threading.Timer(limits.seconds, connection.interrupt)
    timer.start()
    try:
        cursor = connection.execute(f"{compiled.sql} LIMIT {limits.max_cells + 1}", compiled.params)
        names = [column[0] for column in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.InterruptException as error:
        if cancel.reason is not None:
            raise QueryCancelled(cancel.reason) from error
        raise QueryLimitExceeded(f"The query ran past {limits.seconds:g} s.") from error
    except duckdb.OutOfMemoryException as error:
        raise QueryLimitExceeded(f"The query needed more than {limits.memory}.") from error
    finally:
        timer.cancel()
        cancel.attach(None)
        connection.close()
    if len(rows) > limits.max_cells:
        raise QueryLimitExceeded(f"The query has more than {limits.max_cells} cells.")
    return rows


def run_query(
    request: QueryRequest,
    tables: dict[str, ProjectTable],
    *,
    limits: Limits | None = None,
    control: Control | None = None,
    cancel: Cancel | None = None,
) -> QueryAnswer:
    """Compile, run and protect: only cells that passed disclosure control have values."""
    compiled = compile_query(request, tables)
    return answer(request, compiled, fetch(compiled, limits or Limits(), cancel), control)


def _order(keys: list[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """Cells by grouping then keys (missing first): one order whichever engine ran."""
    return lambda row: (row["g"], *((row[k] is not None, row[k]) for k in keys))


def answer(
    request: QueryRequest,
    compiled: CompiledQuery,
    rows: list[dict[str, Any]],
    control: Control | None = None,
) -> QueryAnswer:
    """The released answer of a compiled query's rows: only cells that passed disclosure
    control have values."""
    control = control or Control()
    cells = protect(
        sorted(rows, key=_order(compiled.keys)),
        keys=compiled.keys,
        values=compiled.values,
        magnitudes=compiled.magnitudes,
        control=control,
    )
    return QueryAnswer(
        group_by=[group.column for group in request.group_by],
        measures=list(compiled.values),
        threshold=control.threshold,
        rounding={
            name: "to 1, 2 or 5 times a power of ten, at least twice the largest contribution"
            for name, column in compiled.values.items()
            if column in compiled.magnitudes
        },
        cells=cells,
    )
