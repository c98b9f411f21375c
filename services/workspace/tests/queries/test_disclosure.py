import pytest
from pydantic import ValidationError

from workspace.queries.disclosure import Control, primary, rounding_base
from workspace.queries.engine import run_query
from workspace.queries.schemas import Cell, GroupBy, Measure, QueryRequest, Reason

from .support import WriteTable, by_keys, people

AGE_BY_SEX = {
    ("F", 5): 15, ("F", 25): 12, ("F", 45): 3, ("F", 65): 20,
    ("M", 5): 14, ("M", 25): 11, ("M", 45): 18, ("M", 65): 25,
}  # fmt: skip
BANDS = GroupBy(column="age", bins={"width": 20})
SEX = GroupBy(column="sex")


def recompute(cells: dict[tuple[object, ...], Cell]) -> dict[tuple[object, ...], float]:
    """What an attacker recovers from the released persons and sums by solving every line
    (a row or a column with its margin) that has a single unknown, until none has."""
    known = {k: float(c.persons) for k, c in cells.items() if c.persons is not None}
    dims = len(next(iter(cells)))
    solved = True
    while solved:
        solved = False
        for dim in range(dims):
            lines: dict[object, list[tuple[object, ...]]] = {}
            for key in cells:
                lines.setdefault(key[:dim] + key[dim + 1 :], []).append(key)
            for line in lines.values():
                unknown = [k for k in line if k not in known]
                if len(unknown) != 1:
                    continue
                margin = next(k for k in line if k[dim] == "*")
                inner = sum(known[k] for k in line if k[dim] != "*" and k not in unknown)
                known[unknown[0]] = inner if unknown[0] == margin else known[margin] - inner
                solved = True
    return known


def test_small_cells_suppressed_with_their_complements(write_table: WriteTable) -> None:
    table = write_table("patients", people(AGE_BY_SEX))
    request = QueryRequest(tables=["patients"], group_by=[SEX, BANDS])

    cells = by_keys(run_query(request, {"patients": table}).cells)

    assert cells[("F", 40)].reasons == [Reason.THRESHOLD]
    assert cells[("F", 40)].persons is None and cells[("F", 40)].values == {"persons": None}
    secondary = {k for k, c in cells.items() if c.reasons == [Reason.SECONDARY]}
    assert secondary == {("F", 20), ("M", 40), ("M", 20)}
    assert cells[("*", "*")].persons == sum(AGE_BY_SEX.values())
    assert cells[("M", 60)].persons == 25 and cells[("M", 60)].values == {"persons": 25}
    hidden = {k for k, c in cells.items() if c.suppressed}
    assert not hidden & set(recompute(cells))


def test_one_dimension_a_single_small_cell_hides_another(write_table: WriteTable) -> None:
    table = write_table("patients", people({("F", 5): 4, ("F", 25): 30, ("F", 45): 12}))
    request = QueryRequest(tables=["patients"], group_by=[BANDS])

    cells = by_keys(run_query(request, {"patients": table}).cells)

    assert cells[(0,)].reasons == [Reason.THRESHOLD]
    assert cells[(40,)].reasons == [Reason.SECONDARY]
    assert cells[("*",)].persons == 46 and cells[(20,)].persons == 30


def test_a_dominated_sum_is_flagged(write_table: WriteTable) -> None:
    amounts = {("F", 65): [1000.0, 1000.0]}
    table = write_table("patients", people(AGE_BY_SEX, amounts=amounts))
    request = QueryRequest(
        tables=["patients"],
        group_by=[SEX, BANDS],
        measures=[Measure(kind="persons"), Measure(kind="sum", column="amount")],
    )

    cells = by_keys(run_query(request, {"patients": table}).cells)

    assert Reason.DOMINANCE_NK in cells[("F", 60)].reasons
    assert cells[("F", 60)].values == {"persons": None, "sum_amount": None}
    assert cells[("*", 60)].values["sum_amount"] == 2000  # 2430 to a base of 2000
    assert cells[("*", 60)].rounded_to == {"sum_amount": 2000}
    assert not {k for k, c in cells.items() if c.suppressed} & set(recompute(cells))


def test_rules_of_a_cell() -> None:
    row = {"persons": 12, "x_abs": 1100.0, "x_top": [1000.0, 10.0]}

    assert primary(row, ["x"], Control(dominance_n=100)) == {Reason.DOMINANCE_P}
    assert primary(row, ["x"], Control()) == {Reason.DOMINANCE_NK, Reason.DOMINANCE_P}
    assert primary({**row, "persons": 9}, [], Control()) == {Reason.THRESHOLD}
    assert primary({**row, "x_top": [100.0, 90.0]}, ["x"], Control()) == set()


def test_threshold_never_below_ten() -> None:
    with pytest.raises(ValidationError):
        Control(threshold=9)
    assert Control(threshold=20).threshold == 20


@pytest.mark.parametrize(("top", "base"), [(0, 1), (3, 10), (40, 100), (60, 200), (240, 500)])
def test_rounding_base_is_at_least_twice_the_largest_contribution(top: float, base: float) -> None:
    assert rounding_base(top) == base


def test_three_dimensions_no_hidden_cell_recomputed(write_table: WriteTable) -> None:
    rows = []
    for region in ("north", "south"):
        for row in people(AGE_BY_SEX if region == "north" else {("F", 5): 2, ("M", 25): 30}):
            rows.append({**row, "pid": f"{region}-{row['pid']}", "region": region})
    columns = {"pid": "pseudonym", "sex": "text", "age": "numeric", "amount": "numeric",
               "region": "text"}  # fmt: skip
    table = write_table("patients", rows, columns)
    request = QueryRequest(tables=["patients"], group_by=[GroupBy(column="region"), SEX, BANDS])

    cells = by_keys(run_query(request, {"patients": table}).cells)

    hidden = {k for k, c in cells.items() if c.suppressed}
    assert {("north", "F", 40), ("south", "F", 0)} <= hidden
    assert cells[("*", "*", "*")].persons == sum(AGE_BY_SEX.values()) + 32
    assert not hidden & set(recompute(cells))
