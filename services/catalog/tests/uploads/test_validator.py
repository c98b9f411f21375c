"""The validator alone: record batches in, a report and a Parquet file out."""

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.uploads.validator import ColumnRule, Outcome, TableRules, Validator, csv_batches

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
        csv_batches(source, delimiter=";", report=validator.report, columns=COLUMNS)
    )


def batch(*columns: list[str]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(c) for c in columns], names=COLUMNS)


def test_duplicates_are_found_across_batches(tmp_path: Path) -> None:
    validator = Validator(RULES, workdir=tmp_path, max_errors=10)
    first = batch(["a1", "b2"], ["1", "2"], ["1", "0"], ["2020-01-01"] * 2)
    second = batch(["c3", "a1"], ["3", "4"], ["1", "0"], ["2020-01-02"] * 2)
    outcome = validator.run(iter([first, second]))
    expected = {"row": 4, "column": "ID", "value": "a1", "rule": "duplicate-key"}
    assert outcome.report.errors == [expected]
    assert outcome.parquet is None


def test_a_valid_file_is_typed_parquet(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;OK;AT\nx;1;oui;2020-02-03\ny;;non;\n")
    assert outcome.report.ok and outcome.parquet is not None
    table = pq.read_table(outcome.parquet)
    assert table.to_pylist()[1] == {"ID": "y", "N": None, "OK": False, "AT": None}


def test_bad_encoding_is_reported(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;OK;AT\n\xff\xfe;1;1;2020-01-01\n")
    assert [e["rule"] for e in outcome.report.errors] == ["encoding"]


def test_missing_and_unknown_columns_are_reported(tmp_path: Path) -> None:
    outcome = run(tmp_path, b"ID;N;EXTRA\nx;1;2\n")
    rules = {(e["rule"], e["column"]) for e in outcome.report.errors}
    assert rules == {
        ("missing-column", "OK"),
        ("missing-column", "AT"),
        ("unknown-column", "EXTRA"),
    }


def test_errors_beyond_the_limit_are_counted(tmp_path: Path) -> None:
    rows = "".join(f"k{i};x;1;2020-01-01\n" for i in range(500)).encode()
    report = run(tmp_path, b"ID;N;OK;AT\n" + rows).report
    assert len(report.errors) == 50
    assert report.counts["type:integer:N"] == 500
