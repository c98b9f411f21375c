"""Probabilistic linkage on Spark: our Fellegi-Sunter model and comparison kernel, per block.

Blocking is a Spark join of the two tables on each rule's keys; each candidate pair then
carries both records' columns, and our comparison and scoring kernel
(:mod:`linkage.matching.comparisons`, :mod:`linkage.matching.fellegi_sunter`) runs over its
Arrow batches (``mapInArrow``). Without prior rules the model is fitted by our EM on Spark
aggregates: only the count of pairs per comparison pattern reaches the driver (at most
∏ levels rows), as in the embedded engine. With prior rules, our training
(:mod:`linkage.matching.training`) runs on the driver and only the scoring is distributed.
Only the pairs at least at the decision's floor come back, and the decision (clustering,
threshold, review band) is the embedded one: the same input gives the same links, weights
and parameters as :func:`linkage.matching.linker.link`.

Records are numbered by their row in the input tables, so links name the same rows.
"""

import argparse
from collections.abc import Callable, Iterator, Sequence
from functools import reduce

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from linkage.jobs.linking import settings_of
from linkage.jobs.schemas import ProbabilisticSpec
from linkage.matching import decision
from linkage.matching import fellegi_sunter as fs
from linkage.matching.blocking import Blocking, Pairs, choices, random_pairs
from linkage.matching.comparisons import encode_keys, prepare
from linkage.matching.linker import Linked, conclude
from linkage.matching.linker import link as link_embedded
from linkage.matching.training import Training, train

ROW, LEFT, RIGHT = "__row", "l", "r"
Kernel = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]


def _col(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def _side(prefix: str, name: str) -> str:
    return f"{prefix}__{name}"


def _numbered(spark: SparkSession, table: pa.Table) -> DataFrame:
    rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return spark.createDataFrame(table.append_column(ROW, rows))


def prepared(spark: SparkSession, settings: fs.Settings, frame: DataFrame) -> DataFrame:
    """``frame`` with the derived columns the comparisons and rules need, computed by
    :func:`linkage.matching.comparisons.prepare` on its Arrow batches."""
    empty = pa.Table.from_batches([], schema=frame.limit(0).toArrow().schema)
    schema = spark.createDataFrame(_prepare(settings, empty)).schema

    def kernel(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield from _prepare(settings, pa.Table.from_batches([batch])).to_batches()

    return frame.mapInArrow(kernel, schema)


def _prepare(settings: fs.Settings, table: pa.Table) -> pa.Table:
    return prepare(table, settings.comparisons, settings.columns)


def candidate_pairs(
    left: DataFrame, right: DataFrame, rules: Sequence[Sequence[str]], *, dedupe: bool
) -> DataFrame:
    """Distinct (``l``, ``r``) row pairs over the union of the rules' equi-joins (records
    with a missing key are not joined); when deduplicating, pairs with ``l`` < ``r``."""
    joins = []
    for rule in rules:
        for on_left in choices(rule, left.columns):
            keyed_left = _keyed(left, on_left, LEFT)
            for on_right in choices(rule, right.columns):
                keys = [f"k{i}" for i in range(len(rule))]
                joined = keyed_left.join(_keyed(right, on_right, RIGHT), on=keys)
                joins.append(joined.select(LEFT, RIGHT))
    if not joins:
        return left.sparkSession.createDataFrame([], f"{LEFT} bigint, {RIGHT} bigint")
    pairs = reduce(DataFrame.unionAll, joins)
    if dedupe:
        pairs = pairs.where(F.col(LEFT) < F.col(RIGHT))
    return pairs.distinct()


def _keyed(frame: DataFrame, columns: Sequence[str], index: str) -> DataFrame:
    keys = [_col(name).alias(f"k{i}") for i, name in enumerate(columns)]
    keyed = frame.select(F.col(ROW).alias(index), *keys)
    return keyed.where(
        reduce(Column.__and__, [F.col(f"k{i}").isNotNull() for i in range(len(keys))])
    )


def with_records(pairs: DataFrame, left: DataFrame, right: DataFrame) -> DataFrame:
    """Each pair with its left record's columns as ``l__<name>`` and its right's as
    ``r__<name>``."""
    sides = []
    for frame, prefix in ((left, LEFT), (right, RIGHT)):
        columns = [_col(n).alias(_side(prefix, n)) for n in frame.columns if n != ROW]
        sides.append(frame.select(F.col(ROW).alias(prefix), *columns))
    return pairs.join(sides[0], on=LEFT).join(sides[1], on=RIGHT)


def _records(table: pa.Table) -> tuple[pa.Table, pa.Table, Pairs]:
    """The two sides of a batch of pairs with records, each pair on its own row."""
    sides = []
    for prefix in (LEFT, RIGHT):
        start = f"{prefix}__"
        names = [n for n in table.column_names if n.startswith(start)]
        sides.append(pa.table({n[len(start) :]: table.column(n) for n in names}))
    rows = np.arange(table.num_rows, dtype=np.int64)
    return sides[0], sides[1], (rows, rows)


def _pattern_kernel(settings: fs.Settings) -> Kernel:
    radix = fs._radix(settings.comparisons)

    def kernel(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            left, right, rows = _records(pa.Table.from_batches([batch]))
            levels = fs._levels(settings.comparisons, left, right, rows)
            yield pa.record_batch({"code": pa.array(fs._encode(levels, radix))})

    return kernel


def pattern_counts(
    settings: fs.Settings, pairs: DataFrame
) -> tuple[npt.NDArray[np.int64], fs.FloatArray]:
    """As :func:`linkage.matching.fellegi_sunter.pattern_counts`, of pairs with records."""
    codes = pairs.mapInArrow(_pattern_kernel(settings), "code bigint")
    counted = codes.groupBy("code").count().orderBy("code").toArrow()
    return (
        counted.column("code").to_numpy().astype(np.int64),
        counted.column("count").to_numpy().astype(np.float64),
    )


def _level_frequencies(settings: fs.Settings, pairs: DataFrame) -> list[fs.FloatArray]:
    codes, counts = pattern_counts(settings, pairs)
    patterns = fs._decode(codes, settings.comparisons)
    return fs._level_frequencies(patterns, settings.comparisons, counts)


class SparkLinkage:
    """The two prepared tables of one linkage on Spark, numbered by input row."""

    def __init__(
        self, spark: SparkSession, settings: fs.Settings, left: pa.Table, right: pa.Table
    ) -> None:
        self.spark, self.settings = spark, settings
        self.rows = left.num_rows, right.num_rows
        self.left = prepared(spark, settings, _numbered(spark, left))
        other = self.left if settings.dedupe else prepared(spark, settings, _numbered(spark, right))
        self.cached = [other.cache()]
        self.right = self._with_frequencies(other).cache()
        self.left = self.right if settings.dedupe else self.left.cache()
        self.cached += [self.left, self.right]

    def release(self) -> None:
        for frame in self.cached:
            frame.unpersist()

    def pairs(self, rules: Sequence[Sequence[str]]) -> DataFrame:
        return candidate_pairs(self.left, self.right, rules, dedupe=self.settings.dedupe)

    def records(self, pairs: DataFrame) -> DataFrame:
        return with_records(pairs, self.left, self.right)

    def estimate_u(self) -> list[fs.FloatArray]:
        """``u`` from the random pairs the embedded engine draws (same seed, same rows)."""
        s = self.settings
        lefts, rights = random_pairs(*self.rows, s.u_sample_pairs, seed=s.seed, dedupe=s.dedupe)
        drawn = self.spark.createDataFrame(pa.table({LEFT: lefts, RIGHT: rights}))
        return _level_frequencies(s, self.records(drawn))

    def fit(self, candidates: DataFrame) -> fs.Model:
        """EM on the pattern counts of all candidate pairs (with their records; the model
        without prior rules)."""
        codes, counts = pattern_counts(self.settings, candidates)
        patterns = fs._decode(codes, self.settings.comparisons)
        return fs.expectation_maximisation(self.settings, patterns, counts, self.estimate_u())

    def _with_frequencies(self, right: DataFrame) -> DataFrame:
        """``right`` with, per term-frequency comparison ``k``, its value's frequency
        ``__frequency{k}`` (for the extra weight of exact agreement on that value)."""
        for k, comparison in enumerate(self.settings.comparisons):
            if comparison.term_frequency:
                column = comparison.value_column
                by_value, of_missing = self._frequencies(right, column)
                joined = right.join(F.broadcast(by_value), _col(column) == F.col("value"), "left")
                frequency = F.coalesce(F.col("frequency"), F.lit(of_missing))
                right = joined.withColumn(f"__frequency{k}", frequency).drop("value", "frequency")
        return right

    def _frequencies(self, right: DataFrame, column: str) -> tuple[DataFrame, float]:
        """Each value's frequency, and a missing value's, counted as the embedded engine
        counts them: over all rows, a missing value counting as the first value seen (an
        alternative column may still agree exactly)."""
        counted = (
            right.groupBy(_col(column).alias("value"))
            .agg(F.count(F.lit(1)).alias("n"), F.min(ROW).alias("first"))
            .toArrow()
        )
        present = counted.filter(counted.column("value").is_valid())
        n = present.column("n").to_numpy().astype(np.int64)
        first = int(np.argmin(present.column("first").to_numpy())) if len(n) else 0
        if len(n):
            n[first] += self.rows[1] - int(n.sum())
        frequency = n / max(self.rows[1], 1) if len(n) else np.ones(1)  # all missing: 1
        values = pa.table({"value": present.column("value"), "frequency": frequency[: len(n)]})
        return self.spark.createDataFrame(values), float(frequency[first])

    def score(self, model: fs.Model, candidates: DataFrame, floor: float) -> fs.Links:
        """As :func:`linkage.matching.fellegi_sunter.score`: of candidate pairs with their
        records, those of probability at least ``floor``, in order of left then right row."""
        kernel = _score_kernel(self.settings, model, floor)
        kept = candidates.mapInArrow(kernel, f"{LEFT} bigint, {RIGHT} bigint, weight double")
        table = kept.orderBy(LEFT, RIGHT).toArrow()
        weight = table.column("weight").to_numpy()
        return fs.Links(
            table.column(LEFT).to_numpy().astype(np.int64),
            table.column(RIGHT).to_numpy().astype(np.int64),
            weight,
            1.0 / (1.0 + np.exp2(-weight)),
        )


def _score_kernel(settings: fs.Settings, model: fs.Model, floor: float) -> Kernel:
    prior_weight = np.log2(model.prior / (1 - model.prior))
    averages = {
        k: model.u_random[k][-1] for k, c in enumerate(settings.comparisons) if c.term_frequency
    }

    def kernel(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            left, right, rows = _records(table)
            levels = fs._levels(settings.comparisons, left, right, rows)
            weight = prior_weight + model.pattern_log2_bayes(levels)
            weight += fs._tf_adjustment(settings, _tf_weights(averages, right), rows, levels)
            keep = 1.0 / (1.0 + np.exp2(-weight)) >= floor
            yield pa.record_batch(
                {
                    LEFT: batch.column(LEFT).filter(pa.array(keep)),
                    RIGHT: batch.column(RIGHT).filter(pa.array(keep)),
                    "weight": pa.array(weight[keep]),
                }
            )

    return kernel


def _tf_weights(averages: dict[int, float], right: pa.Table) -> dict[int, fs.FloatArray]:
    """As the embedded engine's: log2(average / frequency), per record of ``right``."""
    weights = {}
    for k, average in averages.items():
        frequency = right.column(f"__frequency{k}").to_numpy(zero_copy_only=False)
        weights[k] = np.log2(average / np.maximum(frequency, fs.EPSILON))
    return weights


def _trained(settings: fs.Settings, left: pa.Table, right: pa.Table) -> tuple[fs.Model, Training]:
    """Our training with prior rules, on the driver (prior, random-pair ``u``, passes)."""
    left = prepare(left, settings.comparisons, settings.columns)
    right = left if settings.dedupe else prepare(right, settings.comparisons, settings.columns)
    left, right = encode_keys(left, right)
    return train(settings, Blocking(left, right, dedupe=settings.dedupe))


def link(
    spark: SparkSession, settings: fs.Settings, left: pa.Table, right: pa.Table | None = None
) -> Linked:
    """:func:`linkage.matching.linker.link` with blocking, fitting and scoring on Spark."""
    right = left if right is None or settings.dedupe else right
    if left.num_rows == 0 or right.num_rows == 0:
        return link_embedded(settings, left, right)
    linkage = SparkLinkage(spark, settings, left, right)
    pairs = linkage.pairs(settings.blocking_rules)
    candidates = linkage.records(pairs).cache()  # compared twice: EM counts, then scores
    training: Training | None = None
    if settings.prior_rules:
        model, training = _trained(settings, left, right)
    else:
        model = linkage.fit(candidates)
    scored = linkage.score(model, candidates, decision.floor(settings))
    count = candidates.count()
    candidates.unpersist()
    linkage.release()
    return conclude(
        settings,
        model,
        scored,
        candidates=count,
        training=training,
        rows=min(left.num_rows, right.num_rows),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """A linkage as a Spark application (``spark-submit`` or the operator's
    ``SparkApplication``): two Parquet tables (S3A or local), the model's settings as the
    ``probabilistic`` part of a link job (JSON), the links written as Parquet."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--settings", required=True, help="JSON file of the settings")
    parser.add_argument("--left", required=True)
    parser.add_argument("--right", help="none: deduplicate the left table")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("hdh-linkage").getOrCreate()  # spark-submit's master
    text = spark.read.text(args.settings, wholetext=True).first()
    settings = settings_of(ProbabilisticSpec.model_validate_json(text[0] if text else ""), set())
    left = spark.read.parquet(args.left).toArrow()
    right = spark.read.parquet(args.right).toArrow() if args.right else None
    links = link(spark, settings, left, right).links
    written = pa.table(
        {"left_row": links.left, "right_row": links.right, "weight": links.weight}
        | {"probability": links.probability}
    )
    spark.createDataFrame(written).write.mode("errorifexists").parquet(args.output)


if __name__ == "__main__":
    main()
