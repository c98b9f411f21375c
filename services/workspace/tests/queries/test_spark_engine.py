"""Spark SQL against DuckDB on the same Parquet: the same disclosure-controlled answers."""

import random
import time

import pytest
from pyspark.sql import SparkSession

from workspace.queries import spark_engine
from workspace.queries.engine import Limits, run_query
from workspace.queries.errors import QueryLimitExceeded
from workspace.queries.schemas import Filter, GroupBy, Measure, ProjectTable, QueryRequest, Reason

from .support import WriteTable, people, table_writer

VISITS = {"pid": "pseudonym", "kind": "text", "cost": "numeric"}
AGE_BY_SEX = {
    ("F", 5): 15, ("F", 25): 12, ("F", 45): 3, ("F", 65): 20,
    ("M", 5): 14, ("M", 25): 11, ("M", 45): 18, ("M", 65): 250,
}  # fmt: skip
BANDS = GroupBy(column="age", bins={"width": 20})
SEX = GroupBy(column="sex")


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ProjectTable]:
    write = table_writer(tmp_path_factory.mktemp("spark-queries"))
    rng = random.Random(3)
    amounts = {("M", 65): [rng.uniform(0, 500) for _ in range(250)], ("F", 65): [9_000.0]}
    patients = people(AGE_BY_SEX, amounts=amounts)
    visits = [
        {"pid": row["pid"], "kind": rng.choice("abc"), "cost": round(rng.uniform(1, 90), 2)}
        for row in patients
        for _ in range(rng.randrange(3))
    ]
    return {
        "patients": write("patients", patients),
        "visits": write("visits", visits, VISITS),  # type: ignore[arg-type]
    }


REQUESTS = {
    "persons by sex and age band": QueryRequest(tables=["patients"], group_by=[SEX, BANDS]),
    "counts and sums": QueryRequest(
        tables=["patients"],
        group_by=[SEX],
        measures=[
            Measure(kind="persons"),
            Measure(kind="count"),
            Measure(kind="sum", column="amount"),
            Measure(kind="mean", column="amount"),
        ],
    ),
    "quantiles": QueryRequest(
        tables=["patients"],
        group_by=[BANDS],
        measures=[
            Measure(kind="median", column="amount"),
            Measure(kind="p25", column="age"),
            Measure(kind="p75", column="amount"),
        ],
    ),
    "filtered join": QueryRequest(
        tables=["patients", "visits"],
        filters=[
            Filter(column="kind", op="in", value=["a", "b"]),
            Filter(column="age", op="between", value=[20, 70]),
        ],
        group_by=[SEX, GroupBy(column="kind")],
        measures=[Measure(kind="persons"), Measure(kind="sum", column="cost")],
    ),
    "no group": QueryRequest(
        tables=["patients"],
        filters=[Filter(column="sex", op="!=", value="F")],
        measures=[Measure(kind="persons"), Measure(kind="median", column="amount")],
    ),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_spark_releases_the_duckdb_answer(
    spark: SparkSession, tables: dict[str, ProjectTable], name: str
) -> None:
    request = REQUESTS[name]

    expected = run_query(request, tables)
    answer = spark_engine.run_query(spark, request, tables)

    assert answer == expected
    assert any(not cell.suppressed for cell in answer.cells)


def test_small_cells_and_dominance_are_suppressed_on_spark(
    spark: SparkSession, tables: dict[str, ProjectTable]
) -> None:
    request = REQUESTS["counts and sums"].model_copy(update={"group_by": [SEX, BANDS]})

    cells = {
        tuple(cell.keys): cell for cell in spark_engine.run_query(spark, request, tables).cells
    }

    assert cells[("F", 40.0)].reasons == [Reason.THRESHOLD]
    assert Reason.DOMINANCE_P in cells[("F", 60.0)].reasons  # one person holds the total
    assert cells[(None, None)].persons == sum(AGE_BY_SEX.values())
    assert list(cells.values()) == run_query(request, tables).cells


def test_too_many_cells_on_spark(spark: SparkSession, tables: dict[str, ProjectTable]) -> None:
    request = QueryRequest(tables=["patients"], group_by=[GroupBy(column="amount")])

    with pytest.raises(QueryLimitExceeded, match="more than 20 cells"):
        spark_engine.run_query(spark, request, tables, limits=Limits(max_cells=20))


def test_a_query_past_its_time_has_its_spark_jobs_cancelled(
    spark: SparkSession, write_table: WriteTable
) -> None:
    rows: list[dict[str, object]] = [
        {"pid": "p", "sex": "F", "age": i % 90, "amount": float(i)} for i in range(20_000)
    ]
    tables = {"a": write_table("a", rows), "b": write_table("b", rows)}  # a join of 400 M rows
    request = QueryRequest(tables=["a", "b"], measures=[Measure(kind="count")])
    started = time.monotonic()

    with pytest.raises(QueryLimitExceeded, match=r"ran past 2 s"):
        spark_engine.run_query(spark, request, tables, limits=Limits(seconds=2))

    assert time.monotonic() - started < 30
    after = spark_engine.run_query(spark, QueryRequest(tables=["a"]), tables)  # not cancelled
    assert after.cells[0].reasons == [Reason.THRESHOLD]
