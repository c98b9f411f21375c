import time

import duckdb
import pytest

from workspace.queries.engine import Limits, run_query, sandbox
from workspace.queries.errors import QueryLimitExceeded
from workspace.queries.schemas import GroupBy, Measure, ProjectTable, QueryRequest

from .support import WriteTable


@pytest.fixture
def one_person(write_table: WriteTable) -> dict[str, ProjectTable]:
    """20,000 rows of a single person in two tables: their join has 400 million rows."""
    rows: list[dict[str, object]] = [
        {"pid": "p", "sex": "F", "age": i % 90, "amount": float(i)} for i in range(20_000)
    ]
    return {"a": write_table("a", rows), "b": write_table("b", rows)}


def test_a_query_past_its_time_is_interrupted(one_person: dict[str, ProjectTable]) -> None:
    request = QueryRequest(tables=["a", "b"], measures=[Measure(kind="count")])
    started = time.monotonic()

    with pytest.raises(QueryLimitExceeded, match=r"ran past 0\.3 s"):
        run_query(request, one_person, limits=Limits(seconds=0.3))

    assert time.monotonic() - started < 5


def test_a_query_past_its_memory_is_stopped(one_person: dict[str, ProjectTable]) -> None:
    request = QueryRequest(
        tables=["a"],
        group_by=[GroupBy(table="a", column="amount")],
        measures=[Measure(kind="median", column="age")],
    )

    with pytest.raises(QueryLimitExceeded, match="more than 2MB"):
        run_query(request, one_person, limits=Limits(memory="2MB", threads=1))


def test_too_many_cells(one_person: dict[str, ProjectTable]) -> None:
    request = QueryRequest(tables=["a"], group_by=[GroupBy(column="age")])

    with pytest.raises(QueryLimitExceeded, match="more than 50 cells"):
        run_query(request, one_person, limits=Limits(max_cells=50))


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY t0 TO '/tmp/leak.csv'",
        "SELECT * FROM read_parquet('/tmp/*/b.parquet')",
        "ATTACH '/tmp/other.duckdb' AS other",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SET memory_limit = '64GB'",
    ],
)
def test_the_sandbox_refuses_files_network_and_settings(
    one_person: dict[str, ProjectTable], statement: str
) -> None:
    connection = sandbox({"t0": one_person["a"]}, Limits())

    with pytest.raises(duckdb.Error):
        connection.execute(statement)
    assert connection.execute("SELECT count(*) FROM t0").fetchone() == (20_000,)
