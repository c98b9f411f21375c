"""The automatic check of an output before people look at it.

The rules are those of SACRO's ``acro`` for tables, applied to the table as saved: each
cell (row) must stand for at least ``threshold`` persons, read from the column the member
names as the person count; zeros and missing values are pointed out for the checkers (a
zero can tell that nobody in a group has a condition); a regression's residual degrees of
freedom (a ``df_resid`` column, as ``acro`` and statsmodels name it) must reach the
threshold too; a column holding the project's pseudonyms, whatever it is called, makes the
table row-level and fails it. Dominance needs each person's contribution, which a saved
table no longer has: the governed queries apply it, and for a saved table it is the
checkers' to judge; the report says so. A table without a person count is marked
``review`` (manual review only).
``acro`` itself is not used: it checks the tables it builds from the row-level DataFrame in
memory, and a saved output has no row-level data behind it here (see
``workspace.queries.disclosure``).
"""

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

PASS, FAIL, REVIEW = "pass", "fail", "review"
MAX_FINDINGS = 50
DOMINANCE_NOTE = (
    "Dominance (n-k and p%) needs each person's contribution, which a saved table no longer"
    " holds: checkers judge sums and means."
)


def read_table(path: Path, format_: str) -> pa.Table:
    if format_ == "parquet":
        return pq.read_table(path)
    return pa_csv.read_csv(path)


def check_table(
    table: pa.Table, *, persons_column: str | None, carried: list[str], threshold: int
) -> dict[str, Any]:
    findings: list[dict[str, Any]] = []
    notes = [DOMINANCE_NOTE]
    status = PASS

    def find(rule: str, column: str, rows: list[int], detail: str) -> None:
        for row in rows[: MAX_FINDINGS - len(findings)]:
            findings.append({"rule": rule, "column": column, "row": row + 1, "detail": detail})

    if carried:
        status = FAIL
        notes.append(f"Row-level: the table carries the project's pseudonyms ({carried[0]}).")
    if persons_column is None:
        status = FAIL if status == FAIL else REVIEW
        notes.append("No person count per cell was named: manual review only.")
    else:
        persons = table.column(persons_column)
        small = _rows(pc.and_(pc.greater(persons, 0), pc.less(persons, threshold)))
        if small:
            status = FAIL
            find("threshold", persons_column, small, f"fewer than {threshold} persons")
    for name in table.column_names:
        column = table.column(name)
        if missing := _rows(pc.is_null(column)):
            status = status if status == FAIL else REVIEW
            find("missing", name, missing, "a missing value")
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            if zeros := _rows(pc.equal(column, 0)):
                status = status if status == FAIL else REVIEW
                find("zeros", name, zeros, "a zero")
            if name.lower() in ("df_resid", "residual_df") and (
                few := _rows(pc.less(column, threshold))
            ):
                status = FAIL
                find("degrees-of-freedom", name, few, f"under {threshold} residual degrees")
    return {
        "status": status,
        "threshold": threshold,
        "cells": table.num_rows,
        "persons_column": persons_column,
        "findings": findings,
        "notes": notes,
    }


def _rows(mask: pa.ChunkedArray | pa.Array) -> list[int]:
    filled = pc.fill_null(mask, False)
    return [int(i) for i in pc.indices_nonzero(filled).to_pylist()]
