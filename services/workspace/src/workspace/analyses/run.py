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
    cancel.attach(connection.interrupt)
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
