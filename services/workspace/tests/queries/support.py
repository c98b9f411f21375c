from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from workspace.queries.schemas import Cell, ColumnKind, ProjectTable

PEOPLE: dict[str, ColumnKind] = {
    "pid": "pseudonym",
    "sex": "text",
    "age": "numeric",
    "amount": "numeric",
}

WriteTable = Callable[..., ProjectTable]


def table_writer(folder: Path) -> WriteTable:
    def write(
        name: str, rows: list[dict[str, object]], columns: dict[str, ColumnKind] | None = None
    ) -> ProjectTable:
        path = folder / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
        return ProjectTable(name=name, columns=columns or PEOPLE, pseudonym="pid", paths=(path,))

    return write


def people(
    counts: dict[tuple[str, int], int], *, amounts: dict[tuple[str, int], list[float]] | None = None
) -> list[dict[str, object]]:
    """Two rows per person, ``counts[(sex, age)]`` persons of that sex and age, each with a
    total amount of 10 unless ``amounts`` gives the first persons' totals."""
    rows: list[dict[str, object]] = []
    for (sex, age), n in counts.items():
        given = (amounts or {}).get((sex, age), [])
        for i in range(n):
            total = given[i] if i < len(given) else 10.0
            row = {"pid": f"{sex}{age}-{i}", "sex": sex, "age": age, "amount": total / 2}
            rows += [row, dict(row)]
    return rows


def by_keys(cells: list[Cell]) -> dict[tuple[object, ...], Cell]:
    """Cells by their keys, a margin written ``"*"``."""
    return {
        tuple("*" if m else k for k, m in zip(cell.keys, cell.margin, strict=True)): cell
        for cell in cells
    }
