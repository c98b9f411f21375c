"""The validator alone: record batches in, a report and a Parquet file out."""

import io
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.uploads import validator as validator_module
from catalog.uploads.fields import parse
from catalog.uploads.validator import (
    ColumnRule,
    Dialect,
    Outcome,
    TableRules,
    Validator,
    csv_batches,
)

COLUMNS = ["ID", "N", "OK", "AT"]
RULES = TableRules(
    columns=(
        ColumnRule("ID", "string", required=True),
        ColumnRule("N", "integer"),
        ColumnRule("OK", "boolean"),
        ColumnRule("AT", "date"),
    ),
    primary_key=("ID",),
)


def run(tmp_path: Path, data: bytes) -> Outcome:
    workdir = tmp_path / str(len(list(tmp_path.iterdir())))
    workdir.mkdir()
    validator = Validator(RULES, workdir=workdir, max_errors=50)
    source = io.BytesIO(data)
    return validator.run(
        csv_batches(
            source, dialect=Dialect(delimiter=";"), report=validator.report, columns=COLUMNS
        )
    )


def batch(*columns: list[str]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(c) for c in columns], names=COLUMNS)


def test_duplicates_are_found_across_batches(tmp_path: Path) -> None:
    validator = Validator(RULES, workdir=tmp_path, max_errors=10)
    first = batch(["a1", "b2"], ["1", "2"], ["1", "0"], ["2020-01-01"] * 2)
    second = batch(["c3", "a1"], ["3", "4"], ["1", "0"], ["2020-01-02"] * 2)
    outcome = validator.run(iter([first, second]))
    expected = {
        "type": "primary-key",
        "rule": "primary-key",
        "row": 4,
        "column": "ID",
        "value": "a1",
    }
    assert outcome.report.errors == [expected]
    assert outcome.parquet is None


def test_a_valid_file_is_typed_parquet(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;OK;AT\nx;1;true;2020-02-03\ny;;false;\n")
    assert outcome.report.ok and outcome.parquet is not None
    table = pq.read_table(outcome.parquet)
    assert table.to_pylist()[1] == {"ID": "y", "N": None, "OK": False, "AT": None}


def test_bad_encoding_is_reported(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;OK;AT\n\xff\xfe;1;1;2020-01-01\n")
    assert [e["type"] for e in outcome.report.errors] == ["encoding-error"]


def test_a_column_named_twice_is_reported_not_a_crash(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;OK;AT;N\nx;1;true;2020-02-03;2\n")
    assert [(e["type"], e["value"]) for e in outcome.report.errors] == [("duplicate-label", "N")]
    assert outcome.parquet is None


def test_labels_are_compared_with_the_fields_as_frictionless_does(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;EXTRA\nx;1;2\n")
    found = {(e["type"], e["column"], e["value"]) for e in outcome.report.errors}
    assert found == {("incorrect-label", "OK", "EXTRA"), ("missing-label", "AT", None)}
    longer = run(tmp_path, b"ID;N;OK;AT;PLUS\nx;1;true;2020-02-03;2\n").report.errors
    assert [(e["type"], e["column"]) for e in longer] == [("extra-label", "PLUS")]


def test_columns_in_another_order_are_taken_by_name(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"AT;OK;N;ID\n2020-02-03;true;1;x\n")
    assert outcome.report.ok and outcome.parquet is not None
    assert pq.read_table(outcome.parquet).to_pylist()[0]["N"] == 1


def test_errors_beyond_the_limit_are_counted(tmp_path: Path) -> None:
    rows = "".join(f"k{i};x;1;2020-01-01\n" for i in range(500)).encode()
    report = run(tmp_path, b"ID;N;OK;AT\n" + rows).report
    assert len(report.errors) == 50
    assert report.counts["type:integer:N"] == 500
    assert report.omitted == {"type:integer:N": 450}


def test_long_and_composite_keys_are_compared_whole(tmp_path: Path) -> None:
    rules = TableRules(
        columns=(ColumnRule("A", "string", required=True), ColumnRule("B", "integer")),
        primary_key=("A", "B"),
    )
    validator = Validator(rules, workdir=tmp_path, max_errors=100)
    long = "x" * 20
    rows = [(f"{long}{i % 7}", i % 3) for i in range(60)] + [(long + "1", 1), ("", 5), ("", 5)]
    data = "A;B\n" + "".join(f"{a};{b}\n" for a, b in rows)
    outcome = validator.run(
        csv_batches(
            io.BytesIO(data.encode()),
            dialect=Dialect(delimiter=";"),
            report=validator.report,
            columns=["A", "B"],
            rules=rules,
        )
    )
    duplicates = [e for e in outcome.report.errors if e["type"] == "primary-key"]
    # 21 distinct (i % 7, i % 3) pairs over 60 rows: 39 repeats, then one more, then "", 5
    assert outcome.report.counts["primary-key:A+B"] == 39 + 1 + 1
    assert (62, f"{long}1, 1") in {(e["row"], e["value"]) for e in duplicates}
    required = [e for e in outcome.report.errors if e["rule"] == "required"]
    assert [(e["type"], e["row"]) for e in required] == [("constraint-error", 63)] * 1 + [
        ("constraint-error", 64)
    ]


def test_typed_and_text_blocks_give_the_same_parquet(tmp_path: Path) -> None:
    data = b"ID;N;OK;AT\nx;1;true;2020-02-03\ny;;false;\nz;-4;1;1999-12-31\n"
    typed = Validator(RULES, workdir=tmp_path / "typed", max_errors=5)
    (tmp_path / "typed").mkdir()
    outcome = typed.run(
        csv_batches(
            io.BytesIO(data),
            dialect=Dialect(delimiter=";"),
            report=typed.report,
            columns=COLUMNS,
            rules=RULES,
        )
    )
    text = run(tmp_path, data)
    assert outcome.parquet is not None and text.parquet is not None
    assert pq.read_table(outcome.parquet).equals(pq.read_table(text.parquet))
    assert outcome.statistics == text.statistics


@pytest.mark.parametrize("rules", [None, RULES])
def test_short_rows_have_missing_cells_counted_and_the_first_ones_named(
    tmp_path: Path, rules: TableRules | None
) -> None:
    rows = "".join(f"k{i};1;1;2020-01-01\n" if i % 2 else f"k{i};1\n" for i in range(200))
    validator = Validator(RULES, workdir=tmp_path, max_errors=50)
    source = io.BytesIO(b"ID;N;OK;AT\n" + rows.encode())
    report = validator.run(
        csv_batches(
            source,
            dialect=Dialect(delimiter=";"),
            report=validator.report,
            columns=COLUMNS,
            rules=rules,
        )
    ).report
    assert report.counts["missing-cell:OK"] == report.counts["missing-cell:AT"] == 100
    assert len(report.errors) == 50
    assert report.errors[:2] == [
        {"type": "missing-cell", "rule": "missing-cell", "row": 2, "column": name, "value": None}
        for name in ("OK", "AT")
    ]


@pytest.mark.parametrize("read_bytes", [1, validator_module.SPILL_READ_BYTES])
def test_duplicates_are_found_whatever_the_share_of_the_spill_read_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_bytes: int
) -> None:
    monkeypatch.setattr(validator_module, "SPILL_READ_BYTES", read_bytes)
    validator = Validator(RULES, workdir=tmp_path, max_errors=100)
    ids = [[f"k{i}" for i in range(b * 1000, (b + 1) * 1000)] for b in range(3)]
    ids[1][10], ids[2][999] = "k5", "k1500"  # rows 1011 and 3000 repeat rows 6 and 1501
    batches = [batch(i, ["1"] * 1000, ["1"] * 1000, ["2020-01-01"] * 1000) for i in ids]
    outcome = validator.run(iter(batches))
    found = sorted((e["row"], e["value"]) for e in outcome.report.errors)
    assert found == [(1011, "k5"), (3000, "k1500")]


def test_row_numbers_run_on_across_blocks_after_short_and_blank_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"k{i};{i};1;2020-01-01" for i in range(40)]
    rows[3], rows[4], rows[30] = "k3;3", "", "k30;trente;1;2020-01-01"
    data = ("ID;N;OK;AT\n" + "\n".join(rows) + "\n").encode()
    whole = run(tmp_path, data).report.errors
    monkeypatch.setattr(validator_module, "BLOCK_SIZE", 64)  # blocks of two or three rows
    found = sorted(
        (e["row"], e["type"], e["column"] or "") for e in run(tmp_path, data).report.errors
    )
    assert found == sorted((e["row"], e["type"], e["column"] or "") for e in whole)
    assert [(row, kind) for row, kind, _ in found if kind != "primary-key"] == [
        (5, "missing-cell"),
        (5, "missing-cell"),
        (6, "blank-row"),
        (32, "type-error"),
    ]


def test_missing_values_of_the_schema_and_of_a_field(tmp_path: Path) -> None:
    """The reader reads as nulls the missing values every field shares ("NA"); a field's own
    ones ("" and "-") are found after, and "" is a value where it is not missing."""
    schema = {
        "missingValues": ["NA"],
        "fields": [
            {"name": "ID", "type": "string", "constraints": {"required": True}},
            {"name": "N", "type": "integer", "missingValues": ["", "NA", "-"]},
        ],
    }
    rules = TableRules.from_schema(schema)
    data = b"ID,N\nNA,1\n,-\nb,\nc,NA\nd,x\n"
    validator = Validator(rules, workdir=tmp_path, max_errors=50)
    outcome = validator.run(
        csv_batches(io.BytesIO(data), report=validator.report, columns=["ID", "N"], rules=rules)
    )
    found = [(e["type"], e["row"], e["column"]) for e in outcome.report.errors]
    assert found == [("constraint-error", 2, "ID"), ("type-error", 6, "N")]
    assert outcome.statistics["N"]["missing"] == 3


@pytest.mark.parametrize(
    ("kind", "fmt", "values", "expected"),
    [
        (
            "date",
            "%d/%m/%Y",
            ["01/02/2020", None, "29/02/2020"],
            [date(2020, 2, 1), None, date(2020, 2, 29)],
        ),
        (
            "date",
            "%d/%m/%Y",
            ["01/02/2020", "1/2/2020", "31/02/2020"],
            [date(2020, 2, 1), date(2020, 2, 1), "invalid"],
        ),
        ("date", "%Y.%m.%d", ["2020.03.01", "2020-03-01"], [date(2020, 3, 1), "invalid"]),
        ("date", "%m/%Y", ["03/2020", "13/2020"], [date(2020, 3, 1), "invalid"]),
        ("yearmonth", "default", ["2020-01", None, "2020-12"], ["2020-01", None, "2020-12"]),
        (
            "yearmonth",
            "default",
            ["2020-01", "2020-1", "2020-13"],
            ["2020-01", "2020-1", "invalid"],
        ),
        (  # Frictionless's year: four characters Python reads as a number from 0 to 9999
            "year",
            "default",
            ["2020", "0999", "+999", "20", "-999", "\uff12\uff10\uff12\uff10", "1 99"],
            [2020, 999, 999, "invalid", "invalid", 2020, "invalid"],
        ),
    ],
)
def test_dates_year_months_and_years_read_without_regular_expressions_as_with_them(
    kind: str, fmt: str, values: list[str | None], expected: list[object]
) -> None:
    """Fixed-width values are read from their bytes; a block where some value is not is read
    as before (``strptime``, the pattern), with the same result."""
    typed, invalid = parse(ColumnRule("C", kind, format=fmt), pa.array(values, pa.string()))
    bad = invalid.to_pylist() if invalid is not None else [False] * len(values)
    assert ["invalid" if b else t for t, b in zip(typed.to_pylist(), bad, strict=True)] == expected
