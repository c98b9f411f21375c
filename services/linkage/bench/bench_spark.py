"""Pseudonymisation on Spark in local mode next to the embedded engine, on the same file.

    .venv/bin/python services/linkage/bench/bench_spark.py [--rows 3000000]

The file of ``bench_linkage`` (a valid-NIR column, 5 rows per person, one invalid NIR in a
thousand); each contender in its own process: the embedded engine with 1 and 2 batch
threads, Spark ``local[1]`` and ``local[2]`` (the same transform and HMAC kernel over Arrow
batches, ``mapInArrow``, then the parts assembled into one file). Spark's session start and
a first run on a small file (the JVM warming up, the Python workers starting) are timed
apart and left out of the rate: what a long-running service pays once. Prints rows/s (file
to file), the cores kept busy (CPU time over wall time, Spark's JVM and Python workers
included), each against the embedded engine on one thread, and the 1 → 2 core scaling of
each engine.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_linkage import BATCH, _load, in_child, make_file

from linkage.engine import Engine
from linkage.engine.embedded import EmbeddedEngine
from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.jobs.pipeline import TAGS, CentralKey
from linkage.pseudonyms.hmac import KeyedHasher

CONTENDERS = ["embedded 1 thread", "embedded 2 threads", "spark local[1]", "spark local[2]"]
WARM_ROWS = 200_000
# Spark splits a file at row groups: 250,000 rows a group share the work evenly between cores.
ROW_GROUP = 250_000


def _engine(name: str) -> tuple[Engine, float]:
    """The contender's engine, and what starting it took (Spark's session)."""
    if name.startswith("embedded"):
        return EmbeddedEngine(batch_rows=BATCH, workers=int(name.split()[1])), 0.0
    from linkage.engine.spark import SparkEngine

    engine = SparkEngine(master=name.split()[1], batch_rows=BATCH)
    started = time.perf_counter()
    engine.session.range(1).collect()
    return engine, time.perf_counter() - started


def _pseudonymise(engine: Engine, source: Path, target: Path) -> int:
    secret = os.urandom(32)
    key = CentralKey(
        domain="central",
        version=1,
        hashers={k: KeyedHasher(secret, tag=TAGS[k]) for k in PSEUDONYMISED_KINDS},
    )
    columns = [ColumnSpec(name="NIR", identifier=Identifier.NIR)]
    outcome = engine.pseudonymise(
        source, target, columns=columns, key=key, progress=lambda _: None, label="bench"
    )
    return outcome.rows_in


def _cpu_seconds() -> float:
    """CPU time of this process and its children (Spark's JVM, its Python workers)."""
    me = psutil.Process()
    times = [p.cpu_times() for p in [me, *me.children(recursive=True)]]
    return sum(t.user + t.system for t in times)


def contender(name: str, folder: str) -> tuple[int, float, float, float, float]:
    """Rows, seconds and CPU seconds of the timed run; seconds of the start and of the
    warm-up run."""
    engine, start = _engine(name)
    here = Path(folder)
    warmed = time.perf_counter()
    _pseudonymise(engine, here / "warm.parquet", here / "warm-out.parquet")
    warm = time.perf_counter() - warmed
    cpu, started = _cpu_seconds(), time.perf_counter()
    rows = _pseudonymise(engine, here / "in.parquet", here / "out.parquet")
    return rows, time.perf_counter() - started, _cpu_seconds() - cpu, start, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    rows = parser.parse_args().rows
    print(f"python {sys.version.split()[0]}, cores {os.cpu_count()}, {_load()}")
    with tempfile.TemporaryDirectory(prefix="hdh-bench-spark-") as folder:
        make_file(Path(folder) / "in.parquet", rows=rows, rows_per_person=5, row_group=ROW_GROUP)
        # Several row groups: the warm-up starts a Python worker on every core.
        make_file(
            Path(folder) / "warm.parquet",
            rows=WARM_ROWS,
            rows_per_person=5,
            row_group=WARM_ROWS // 8,
        )
        print(
            f"{rows:,} rows, 5 per person, row groups of {ROW_GROUP:,}:"
            " NIR validation and HMAC pseudonyms, file to file"
        )
        rates = {}
        for name in CONTENDERS:
            done, seconds, cpu, start, warm = in_child(contender, name, folder)
            rates[name] = done / seconds
            print(
                f"  {name:20s} {rates[name]:>12,.0f} rows/s  {seconds:6.1f} s"
                f"  {cpu / seconds:3.1f} cores busy"
                f"  x{rates[name] / rates[CONTENDERS[0]]:.2f} of embedded 1 thread"
                f"  (start {start:4.1f} s, warm-up {warm:4.1f} s)  {_load()}"
            )
    for engine, one, two in (("embedded", *CONTENDERS[:2]), ("spark", *CONTENDERS[2:])):
        print(f"  {engine} scaling 1 -> 2 cores: x{rates[two] / rates[one]:.2f}")
    print(
        f"  spark local[2] / embedded 2 threads: x{rates[CONTENDERS[3]] / rates[CONTENDERS[1]]:.2f}"
    )


if __name__ == "__main__":
    main()
