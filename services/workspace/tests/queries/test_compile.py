import pytest

from workspace.queries.compile import compile_query
from workspace.queries.engine import run_query
from workspace.queries.errors import InvalidQuery, MeasureRefused, UnknownColumn, UnknownTable
from workspace.queries.schemas import Filter, GroupBy, Measure, ProjectTable, QueryRequest

from .support import WriteTable, by_keys, people

EVIL = "sex\" FROM t0; COPY t0 TO '/tmp/out.csv'; --"


@pytest.fixture
def patients(write_table: WriteTable) -> dict[str, ProjectTable]:
    counts = {("F", 30): 12, ("M", 30): 11, ("F", 70): 14, ("M", 70): 10}
    return {"patients": write_table("patients", people(counts))}


def test_unknown_table(patients: dict[str, ProjectTable]) -> None:
    with pytest.raises(UnknownTable, match="other"):
        compile_query(QueryRequest(tables=["other"]), patients)


@pytest.mark.parametrize(
    "request_",
    [
        QueryRequest(tables=["patients"], group_by=[GroupBy(column=EVIL)]),
        QueryRequest(tables=["patients"], filters=[Filter(column=EVIL, op="=", value="F")]),
        QueryRequest(tables=["patients"], measures=[Measure(kind="sum", column=EVIL)]),
        QueryRequest(tables=["patients"], group_by=[GroupBy(column="sex", table="t0")]),
    ],
)
def test_names_outside_the_metadata_are_refused(
    patients: dict[str, ProjectTable], request_: QueryRequest
) -> None:
    with pytest.raises(UnknownColumn):
        compile_query(request_, patients)


def test_an_injected_table_name_is_unknown(patients: dict[str, ProjectTable]) -> None:
    with pytest.raises(UnknownTable):
        compile_query(QueryRequest(tables=['patients"; DROP TABLE t0; --']), patients)


def test_filter_values_are_bound_never_spliced(patients: dict[str, ProjectTable]) -> None:
    value = "F' OR 1=1 --"
    request = QueryRequest(tables=["patients"], filters=[Filter(column="sex", op="=", value=value)])

    compiled = compile_query(request, patients)
    answer = run_query(request, patients)

    assert value not in compiled.sql and compiled.params == [value]
    assert answer.cells == []
    plain = request.model_copy(update={"filters": [Filter(column="sex", op="=", value="F")]})
    assert run_query(plain, patients).cells[0].persons == 26


def test_filters_select_the_population(patients: dict[str, ProjectTable]) -> None:
    request = QueryRequest(
        tables=["patients"],
        filters=[
            Filter(column="age", op="between", value=[20, 40]),
            Filter(column="sex", op="in", value=["F", "M"]),
            Filter(column="sex", op="!=", value="X"),
        ],
        group_by=[GroupBy(column="sex")],
        measures=[
            Measure(kind="persons"),
            Measure(kind="count"),
            Measure(kind="median", column="age"),
        ],
    )

    cells = by_keys(run_query(request, patients).cells)

    # 24 rows, two per person: rounded to a base of 5 (at least twice the largest, 2)
    assert cells[("F",)].values == {"persons": 12, "count": 25, "median_age": 30}
    assert cells[("F",)].rounded_to == {"count": 5, "median_age": 1}  # two digits
    assert cells[("*",)].persons == 23


@pytest.mark.parametrize("kind", ["min", "max"])
def test_no_exact_minimum_or_maximum(patients: dict[str, ProjectTable], kind: str) -> None:
    request = QueryRequest(tables=["patients"], measures=[Measure(kind=kind, column="age")])  # type: ignore[arg-type]
    with pytest.raises(MeasureRefused):
        compile_query(request, patients)


def test_a_sum_of_text_is_refused(patients: dict[str, ProjectTable]) -> None:
    request = QueryRequest(tables=["patients"], measures=[Measure(kind="sum", column="sex")])
    with pytest.raises(InvalidQuery, match="not numeric"):
        compile_query(request, patients)


def test_join_on_pseudonyms(patients: dict[str, ProjectTable], write_table: WriteTable) -> None:
    wards = {"cardio": [f"F30-{i}" for i in range(11)], "neuro": ["F30-11"]}
    wards["ortho"] = [f"M30-{i}" for i in range(10)]
    stays = [{"pid": p, "ward": w, "days": 5.0} for w, pids in wards.items() for p in pids]
    columns = {"pid": "pseudonym", "ward": "text", "days": "numeric"}
    tables = {**patients, "stays": write_table("stays", stays, columns)}
    request = QueryRequest(
        tables=["patients", "stays"],
        group_by=[GroupBy(column="ward")],
        measures=[Measure(kind="persons"), Measure(kind="mean", column="days")],
    )

    cells = by_keys(run_query(request, tables).cells)

    assert cells[("neuro",)].suppressed and cells[("ortho",)].suppressed
    # 11 persons, two rows each of 5 days: 110 rounded to a base of 20 (twice 10) over 22 rows
    assert cells[("cardio",)].values == {"persons": 11, "mean_days": 120 / 22}
    assert cells[("cardio",)].rounded_to == {"mean_days": 20}
    assert cells[("*",)].persons == 22


@pytest.mark.parametrize(
    "request_",
    [
        QueryRequest(tables=["patients"], group_by=[GroupBy(column="pid")]),
        QueryRequest(tables=["patients"], filters=[Filter(column="pid", op="=", value="F30-0")]),
        QueryRequest(tables=["patients"], measures=[Measure(kind="median", column="pid")]),
    ],
)
def test_pseudonyms_are_never_filtered_grouped_or_measured(
    patients: dict[str, ProjectTable], request_: QueryRequest
) -> None:
    with pytest.raises(InvalidQuery, match="Pseudonyms"):
        compile_query(request_, patients)


def test_a_mean_counts_only_the_rows_with_a_value(write_table: WriteTable) -> None:
    rows: list[dict[str, object]] = [
        {"pid": f"p{i}", "sex": "F", "age": 40, "amount": None if i % 2 else 10.0}
        for i in range(24)
    ]
    rows += [{"pid": f"q{i}", "sex": "M", "age": 40, "amount": None} for i in range(12)]
    tables = {"patients": write_table("patients", rows)}
    request = QueryRequest(
        tables=["patients"],
        group_by=[GroupBy(column="sex")],
        measures=[Measure(kind="mean", column="amount"), Measure(kind="sum", column="amount")],
    )

    cells = by_keys(run_query(request, tables).cells)

    assert cells[("F",)].values == {"mean_amount": 10.0, "sum_amount": 120.0}
    assert cells[("M",)].values == {"mean_amount": None, "sum_amount": None}
