"""Synthetic samples as CSV: a text cell never starts a spreadsheet formula."""

import io

import pyarrow as pa
import pyarrow.csv as pa_csv

from catalog.synthetic.service import encode


def test_csv_text_cells_cannot_start_a_formula() -> None:
    hostile = ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", None]
    table = pa.table({"code": hostile, "amount": [-1.5] * len(hostile)})
    read = pa_csv.read_csv(io.BytesIO(encode(table, "csv")))
    assert read.column("code").to_pylist() == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
        "",
    ]
    assert read.column("amount").to_pylist() == [-1.5] * len(hostile)
