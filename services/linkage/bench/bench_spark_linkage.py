"""Linkage throughput of the embedded engine against Spark ``local[1]`` and ``local[2]``.

    .venv/bin/python services/linkage/bench/bench_spark_linkage.py [--people 20000]

French identities (:mod:`linkage.matching.french_population`), ``--people`` on each side,
linked with name, birth-date and sex comparisons, the model fitted by EM (on Spark: on its
aggregates). Each contender runs in its own process; a Spark contender first links a small
population once, so that the JVM start and the first Python workers are not counted (a
cluster job pays them once). Figures: wall time from the two tables in memory to the links,
candidate pairs compared per second (each pair is compared twice: EM counts, then scoring),
the ratio to the embedded engine and the scaling from one core to two.
"""

import argparse
import multiprocessing
import os
import time

from linkage.matching import fellegi_sunter as fs
from linkage.matching.comparisons import Comparison
from linkage.matching.french_population import population

SETTINGS = fs.Settings(
    comparisons=[
        Comparison("given_name", "name", (0.9,)),
        Comparison("surname", "name", (0.9,), alternatives=("usage_name",), term_frequency=True),
        Comparison("birth_date", "birth_date", (366.0,)),
        Comparison("sex"),
        Comparison("postcode", "prefix", (2.0,)),
    ],
    blocking_rules=[
        ["birth_date:year", "sex"],  # loose on purpose: many pairs per person
        ["surname:phonetic|usage_name:phonetic", "birth_date"],
    ],
)


def run(engine: str, people: int) -> tuple[int, int, float]:
    """Candidate pairs, links and seconds of one linkage on ``engine``."""
    generated = population(people, seed=8)
    if engine == "embedded":
        from linkage.matching.linker import link

        started = time.perf_counter()
        linked = link(SETTINGS, generated.left, generated.right)
    else:
        from hdh_common.spark import get_session
        from linkage.engine import spark_linkage

        spark = get_session(engine, "bench-linkage")
        spark.sparkContext.setLogLevel("ERROR")
        warm = population(500, seed=1)
        spark_linkage.link(spark, SETTINGS, warm.left, warm.right)
        started = time.perf_counter()
        linked = spark_linkage.link(spark, SETTINGS, generated.left, generated.right)
    seconds = time.perf_counter() - started
    return linked.report.candidate_pairs, linked.report.links, seconds


def _in_child(engine: str, people: int) -> tuple[int, int, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: tuple[int, int, float] = pool.apply(run, (engine, people))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    people = parser.parse_args().people
    print(f"linkage of {people:,} x {people:,} French identities; load {os.getloadavg()[0]:.1f}")
    rates: dict[str, float] = {}
    for engine in ("embedded", "local[1]", "local[2]"):
        pairs, links, seconds = _in_child(engine, people)
        rates[engine] = pairs / seconds
        ratio = rates[engine] / rates["embedded"]
        print(
            f"  {engine:9s} {pairs:>10,} pairs {links:>7,} links {seconds:7.1f} s "
            f"{rates[engine]:>10,.0f} pairs/s  x{ratio:.2f} of embedded  "
            f"load {os.getloadavg()[0]:.1f}"
        )
    print(f"  Spark scaling local[1] -> local[2]: x{rates['local[2]'] / rates['local[1]']:.2f}")


if __name__ == "__main__":
    main()
