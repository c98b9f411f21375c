"""A governed aggregate query against the same aggregate in plain DuckDB, in the same run.

    .venv/bin/python services/workspace/bench/bench_workspace.py [--rows 10000000]

Builds a Parquet project table of ``--rows`` rows (five rows per person, a 64-character
pseudonym, sex and age per person, an amount per row), then, each in a fresh process so that
the peak memory (high-water RSS) is the query's own, with the same threads:
- ``plain duckdb``: ``SELECT sex, age band, count(DISTINCT pid), sum(amount) ... GROUP BY
  CUBE(sex, band)`` straight on ``read_parquet`` (the margins included, as ours has them);
- ``plain duckdb, our SQL``: the SQL our compiler writes for the request, on a plain
  connection (no sandbox, no memory limit, no disclosure control);
- ``workspace run_query``: the same request through our engine: compiled SQL (per person and
  cell, then per cell, with the two largest contributions for dominance), the sandboxed
  connection (its default 768 MB memory limit), then threshold, dominance, secondary
  suppression and rounding. Target: at most 1.5x each plain run, peak memory under 1 GiB.
"""

import argparse
import multiprocessing
import os
import queue
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workspace.queries.compile import compile_query
from workspace.queries.engine import Limits, run_query
from workspace.queries.schemas import GroupBy, Measure, ProjectTable, QueryRequest

CHUNK = 1_000_000
PER_PERSON = 5
THREADS = 2
RATIO_TARGET = 1.5
MEMORY_TARGET_MIB = 1024
PLAIN_SQL = """
SELECT sex, floor(age / 10) * 10 AS band, count(DISTINCT pid) AS persons, sum(amount) AS amount
FROM read_parquet(?) GROUP BY CUBE(sex, band)
"""


def make_file(path: Path, *, rows: int) -> None:
    schema = pa.schema([("pid", pa.string()), ("sex", pa.string()), ("age", pa.int64()),
                        ("amount", pa.float64())])  # fmt: skip
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            index = pa.array(range(start, min(start + CHUNK, rows)), pa.int64())
            person = pc.divide(index, PER_PERSON)
            pid = pc.utf8_lpad(pc.cast(person, pa.string()), 64, "a")
            sex = pc.if_else(pc.equal(pc.bit_wise_and(person, 1), 0), "F", "M")
            age = pc.bit_wise_and(pc.divide(pc.multiply(person, 7919), 13), 63)
            amount = pc.cast(pc.add(pc.bit_wise_and(index, 127), 1), pa.float64())
            writer.write_table(pa.table([pid, sex, age, amount], schema=schema))


def plain(path: str) -> int:
    import duckdb

    connection = duckdb.connect(config={"threads": THREADS})
    connection.execute("SET enable_progress_bar = false")
    return len(connection.execute(PLAIN_SQL, [path]).fetchall())


def _request(path: str) -> tuple[QueryRequest, dict[str, ProjectTable]]:
    table = ProjectTable(
        name="acts",
        columns={"pid": "pseudonym", "sex": "text", "age": "numeric", "amount": "numeric"},
        pseudonym="pid",
        paths=(path,),
    )
    request = QueryRequest(
        tables=["acts"],
        group_by=[GroupBy(column="sex"), GroupBy(column="age", bins={"width": 10})],
        measures=[Measure(kind="persons"), Measure(kind="sum", column="amount")],
    )
    return request, {"acts": table}


def plain_compiled(path: str) -> int:
    import duckdb

    compiled = compile_query(*_request(path))
    connection = duckdb.connect(config={"threads": THREADS})
    connection.execute("SET enable_progress_bar = false")
    connection.execute(f"CREATE VIEW t0 AS SELECT * FROM read_parquet('{path}')")  # noqa: S608
    return len(connection.execute(compiled.sql, compiled.params).fetchall())


def ours(path: str) -> int:
    request, tables = _request(path)
    limits = Limits(threads=THREADS, seconds=120)
    return len(run_query(request, tables, limits=limits).cells)


PLAIN = ("plain duckdb", "plain duckdb, our SQL")
CONTENDERS: dict[str, Callable[[str], int]] = {
    "plain duckdb": plain,
    "plain duckdb, our SQL": plain_compiled,
    "workspace run_query": ours,
}


def _contender(name: str, path: str) -> tuple[int, float, float]:
    started = time.perf_counter()
    cells = CONTENDERS[name](path)
    return cells, time.perf_counter() - started, _peak_mib()


def _peak_mib() -> float:
    status = Path("/proc/self/status").read_text().split("\n")
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` run in a fresh process, so that its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_returning, args=(results, function, *args))
    process.start()
    while True:
        try:
            result = results.get(timeout=1)
            break
        except queue.Empty:
            if not process.is_alive():
                raise RuntimeError(f"{function.__name__}: exit code {process.exitcode}") from None
    process.join()
    return result


def _returning(results: Any, function: Callable[..., Any], *args: Any) -> None:
    results.put(function(*args))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acts.parquet"
        started = time.perf_counter()
        make_file(path, rows=rows)
        print(
            f"{rows:,} rows, {rows // PER_PERSON:,} persons, {path.stat().st_size / 2**20:.0f} MiB"
            f" (generated in {time.perf_counter() - started:.1f} s), {THREADS} threads"
        )
        seconds, peaks = {}, {}
        for name in CONTENDERS:
            cells, seconds[name], peaks[name] = in_child(_contender, name, str(path))
            print(
                f"  {name:22s} {seconds[name]:6.2f} s  {cells:3d} cells"
                f"  peak {peaks[name]:5.0f} MiB  load {os.getloadavg()[0]:4.1f}"
            )
    ratios = {name: seconds["workspace run_query"] / seconds[name] for name in PLAIN}
    ratio, peak = max(ratios.values()), peaks["workspace run_query"]
    print(
        "  ours / "
        + ", ours / ".join(f"{name}: {r:.2f}x" for name, r in ratios.items())
        + f" (target <= {RATIO_TARGET}x"
        f" {'met' if ratio <= RATIO_TARGET else 'NOT met'}); peak {peak:.0f} MiB"
        f" (target < {MEMORY_TARGET_MIB} MiB {'met' if peak < MEMORY_TARGET_MIB else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
