import pytest

from workspace.queries.engine import run_query
from workspace.queries.schemas import Filter, Measure, ProjectTable, QueryRequest

from .support import WriteTable

ISOLATED = 47.0  # the amount of the only person aged 51
MEASURES = [Measure(kind="persons"), Measure(kind="sum", column="amount"), Measure(kind="count")]


@pytest.fixture
def patients(write_table: WriteTable) -> dict[str, ProjectTable]:
    rows: list[dict[str, object]] = [
        {"pid": f"p{i}", "sex": "F", "age": 30 + i % 21, "amount": 20.0 + (i * 7) % 41}
        for i in range(40)
    ]
    rows.append({"pid": "target", "sex": "F", "age": 51, "amount": ISOLATED})
    return {"patients": write_table("patients", rows)}


@pytest.mark.parametrize(
    ("wide", "narrow"),
    [
        ([Filter(column="age", op="<=", value=51)], [Filter(column="age", op="<=", value=50)]),
        ([], [Filter(column="age", op="!=", value=51)]),
        (
            [Filter(column="age", op="between", value=[30, 51])],
            [Filter(column="age", op="<", value=51)],
        ),
    ],
)
def test_two_queries_differing_by_one_person_do_not_reveal_their_value(
    patients: dict[str, ProjectTable], wide: list[Filter], narrow: list[Filter]
) -> None:
    answers = [
        run_query(QueryRequest(tables=["patients"], filters=f, measures=MEASURES), patients)
        for f in (wide, narrow)
    ]
    (a,), (b,) = (answer.cells for answer in answers)
    assert a.persons is not None and b.persons is not None
    assert a.persons - b.persons == 1  # the populations differ by the target only

    estimate = a.values["sum_amount"] - b.values["sum_amount"]  # type: ignore[operator]
    slack = (a.rounded_to["sum_amount"] + b.rounded_to["sum_amount"]) / 2

    assert estimate != ISOLATED
    assert estimate - slack <= ISOLATED <= estimate + slack
    assert 2 * slack >= 2 * ISOLATED  # the attacker's interval is at least twice the value
    rows = a.values["count"] - b.values["count"]  # type: ignore[operator]
    assert rows != 1 and a.rounded_to["count"] + b.rounded_to["count"] >= 2  # the target's rows


def test_a_median_never_gives_one_persons_value(write_table: WriteTable) -> None:
    """The target's value is the exact median of the wider population; the difference of
    the medians with and without them does not give it either."""
    values = [float(v) for v in range(10, 31) if v != 20]
    rows: list[dict[str, object]] = [
        {"pid": f"p{i}", "sex": "F", "age": 40, "amount": value} for i, value in enumerate(values)
    ]
    rows.append({"pid": "target", "sex": "F", "age": 51, "amount": 20.37})
    tables = {"patients": write_table("patients", rows)}
    median = [Measure(kind="median", column="amount"), Measure(kind="p25", column="amount")]
    wide, narrow = (
        run_query(QueryRequest(tables=["patients"], filters=f, measures=median), tables).cells[0]
        for f in ([], [Filter(column="age", op="!=", value=51)])
    )

    assert wide.values["median_amount"] == 20.0 and wide.rounded_to["median_amount"] == 1.0
    released = [wide.values["median_amount"], narrow.values["median_amount"]]
    assert 20.37 not in released and all(v is not None and v == round(v) for v in released)
    assert wide.values["p25_amount"] == 15.0  # interpolated, then rounded
