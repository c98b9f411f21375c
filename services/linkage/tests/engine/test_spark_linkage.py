"""The Spark linkage against the embedded one, on the same inputs: the same links (pairs and
weights), the same fitted parameters, the same report."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from linkage.engine.spark_linkage import candidate_pairs, link, main
from linkage.jobs.linking import settings_of
from linkage.jobs.schemas import ProbabilisticSpec
from linkage.matching import fellegi_sunter as fs
from linkage.matching.blocking import candidate_pairs as embedded_pairs
from linkage.matching.comparisons import Comparison
from linkage.matching.french_population import population
from linkage.matching.linker import Linked
from linkage.matching.linker import link as link_embedded
from linkage.matching.synthetic import people

SETTINGS = fs.Settings(
    comparisons=[
        Comparison("given_name", "exact", term_frequency=True),
        Comparison("surname", "jaro_winkler", (0.92,), term_frequency=True),
        Comparison("date_of_birth", "date", (1.0, 366.0)),
        Comparison("postcode", "prefix", (2.0,)),
        Comparison("soc_sec_id", "exact"),
    ],
    blocking_rules=[["date_of_birth"], ["soc_sec_id"], ["surname", "postcode"]],
    chunk_pairs=20_000,
)
FRENCH = fs.Settings(
    comparisons=[
        Comparison("given_name", "name", (0.9,)),
        Comparison("surname", "name", (0.9,), alternatives=("usage_name",), term_frequency=True),
        Comparison("birth_date", "birth_date", (366.0,)),
        Comparison("sex"),
    ],
    blocking_rules=[
        ["surname:phonetic|usage_name:phonetic", "birth_date"],
        ["given_name:first", "birth_date"],
    ],
    prior_rules=[["given_name:norm", "surname:norm", "birth_date"]],
    prior_recall=0.5,
)


def assert_same(spark_linked: Linked, embedded: Linked) -> None:
    for got, expected in (
        (spark_linked.links, embedded.links),
        (spark_linked.review, embedded.review),
    ):
        assert got.left.tolist() == expected.left.tolist()
        assert got.right.tolist() == expected.right.tolist()
        np.testing.assert_allclose(got.weight, expected.weight, rtol=0, atol=1e-9)
    assert spark_linked.report == embedded.report


def test_spark_blocking_gives_the_embedded_candidate_pairs(spark: SparkSession) -> None:
    left = pa.table(
        {"__row": [0, 1, 2], "a": ["x", "y", None], "b": [1, 2, 3], "c": ["z", "z", "q"]}
    )
    right = pa.table(
        {"__row": [0, 1, 2], "a": ["x", "x", "y"], "b": [1, 9, 2], "c": ["v", "w", "q"]}
    )
    rules = [["a"], ["b"], ["c|a"]]

    pairs = candidate_pairs(
        spark.createDataFrame(left), spark.createDataFrame(right), rules, dedupe=False
    ).toArrow()

    expected = embedded_pairs(left, right, rules)
    got = sorted(zip(pairs.column("l").to_pylist(), pairs.column("r").to_pylist(), strict=True))
    assert got == list(zip(expected[0].tolist(), expected[1].tolist(), strict=True))
    assert got == [(0, 0), (0, 1), (1, 2), (2, 2)]  # the last by "c" against "a"


def test_spark_gives_the_embedded_links_and_fitted_model(spark: SparkSession) -> None:
    left, right = people(1500, seed=11)

    embedded = link_embedded(SETTINGS, left, right)
    on_spark = link(spark, SETTINGS, left, right)

    assert len(embedded.links.left) > 1200  # a real linkage, not an empty agreement
    assert_same(on_spark, embedded)  # m, u, prior and EM iterations included, to 5 digits
    assert on_spark.report.em_iterations == embedded.report.em_iterations


def test_spark_deduplication_gives_the_embedded_links(spark: SparkSession) -> None:
    left, right = people(600, seed=5)
    both = pa.concat_tables([left, right])
    settings = dataclasses.replace(SETTINGS, dedupe=True, clustering="all")

    embedded = link_embedded(settings, both)
    on_spark = link(spark, settings, both)

    assert len(embedded.links.left) > 400
    assert bool((on_spark.links.left < on_spark.links.right).all())
    assert_same(on_spark, embedded)


def test_spark_scores_with_the_model_of_our_training(spark: SparkSession) -> None:
    generated = population(1500, seed=4)

    embedded = link_embedded(FRENCH, generated.left, generated.right)
    on_spark = link(spark, FRENCH, generated.left, generated.right)

    assert on_spark.report.training is not None and on_spark.report.training["passes"]
    assert len(embedded.links.left) > 1000
    assert_same(on_spark, embedded)


def test_an_empty_side_links_nothing(spark: SparkSession) -> None:
    left, _ = people(10)

    linked = link(spark, SETTINGS, left, left.slice(0, 0))

    assert len(linked.links.left) == 0
    assert linked.report.candidate_pairs == 0


def test_the_spark_application_writes_the_links_of_parquet_tables(
    spark: SparkSession, tmp_path: Path
) -> None:
    left, right = people(400, seed=9)
    pq.write_table(left, tmp_path / "left.parquet")
    pq.write_table(right, tmp_path / "right.parquet")
    spec = {
        "comparisons": [
            {"column": "surname", "kind": "jaro_winkler", "thresholds": [0.9]},
            {"column": "date_of_birth", "kind": "date", "thresholds": [31]},
            {"column": "postcode"},
        ],
        "blocking_rules": [["date_of_birth"], ["surname"]],
    }
    (tmp_path / "settings.json").write_text(json.dumps(spec))

    main(
        [
            *("--settings", str(tmp_path / "settings.json")),
            *("--left", str(tmp_path / "left.parquet")),
            *("--right", str(tmp_path / "right.parquet")),
            *("--output", str(tmp_path / "links")),
        ]
    )

    written = pq.read_table(tmp_path / "links").sort_by([("left_row", "ascending")])
    expected = link_embedded(
        settings_of(ProbabilisticSpec.model_validate(spec), set()), left, right
    )
    assert written.column("left_row").to_pylist() == sorted(expected.links.left.tolist())
    assert len(expected.links.left) > 300
