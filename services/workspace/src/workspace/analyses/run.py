"""Run a checked SELECT in the sandbox and write its result to Parquet, batch by batch.

Errors about the query itself (a column or function that does not exist, a type mismatch
the binder finds) are told as DuckDB says them; errors met while computing (a conversion
of a cell, say) may quote a value, so they are told by their kind only: no value of a row
leaves in a problem detail.
"""

import threading
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from workspace.analyses.errors import SqlFailed
from workspace.queries.engine import Cancel, Limits, sandbox
from workspace.queries.errors import QueryCancelled, QueryLimitExceeded
from workspace.queries.schemas import ProjectTable

BATCH_ROWS = 65_536
ABOUT_THE_QUERY = (duckdb.BinderException, duckdb.CatalogException, duckdb.ParserException)


class Progress:
    """The engine's estimate of how far the query is, read from another thread."""

    def __init__(self) -> None:
        self.percent = 0.0


def run_sql(
    sql: str,
    tables: dict[str, ProjectTable],
    target: Path,
    *,
    limits: Limits,
    max_rows: int,
    cancel: Cancel,
    progress: Progress,
) -> int:
    """The number of rows written to ``target``."""
    connection = sandbox(tables, limits, progress=True)
    cancel.attach(connection)
    done = threading.Event()
    timer = threading.Timer(limits.seconds, connection.interrupt)
    poller = threading.Thread(target=_poll, args=(connection, progress, done), daemon=True)
    timer.start()
    poller.start()
    try:
        reader = connection.sql(sql).to_arrow_reader(BATCH_ROWS)
        if reader is None:
            raise SqlFailed("The query gave no result.")
        rows = 0
        with pq.ParquetWriter(target, reader.schema) as writer:
            for batch in reader:
                rows += batch.num_rows
                if rows > max_rows:
                    raise QueryLimitExceeded(f"The result has more than {max_rows} rows.")
                writer.write_batch(batch)
        return rows
    except duckdb.InterruptException as error:
        if cancel.reason is not None:
            raise QueryCancelled(cancel.reason) from error
        raise QueryLimitExceeded(f"The analysis ran past {limits.seconds:g} s.") from error
    except duckdb.OutOfMemoryException as error:
        raise QueryLimitExceeded(f"The analysis needed more than {limits.memory}.") from error
    except ABOUT_THE_QUERY as error:
        raise SqlFailed(str(error).splitlines()[0][:300]) from error
    except duckdb.Error as error:
        raise SqlFailed(f"{type(error).__name__} while computing the result.") from error
    finally:
        done.set()
        timer.cancel()
        cancel.attach(None)
        connection.close()


def _poll(connection: duckdb.DuckDBPyConnection, progress: Progress, done: threading.Event) -> None:
    while not done.wait(0.2):
        try:
            percent = connection.query_progress()
        except duckdb.Error:
            return
        progress.percent = max(progress.percent, percent)


SAMPLE = 1_000


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def carried_pseudonyms(result: Path, tables: dict[str, ProjectTable]) -> set[str]:
    """The result's columns that hold the project's pseudonyms, whatever the query called
    them: a column is one when any of a sample of its distinct values is a pseudonym of the
    tables it was computed from (a renamed pseudonym stays a pseudonym). Identifiers are
    quoted, file paths bound."""
    known = " UNION ALL ".join(
        f"SELECT CAST({_quoted(t.pseudonym)} AS VARCHAR) AS p FROM read_parquet(?)"  # noqa: S608
        for t in tables.values()
    )
    paths = [[str(path) for path in t.paths] for t in tables.values()]
    found: set[str] = set()
    with duckdb.connect(":memory:") as connection:
        for field in pq.read_schema(result):
            column = _quoted(field.name)
            query = (
                f"SELECT count(*) FROM (SELECT DISTINCT CAST({column} AS VARCHAR) AS v"  # noqa: S608
                f" FROM read_parquet(?) WHERE {column} IS NOT NULL LIMIT {SAMPLE}) s"
                f" WHERE v IN ({known})"
            )
            row = connection.execute(query, [str(result), *paths]).fetchone()
            if row and row[0]:
                found.add(field.name)
    return found
