"""Acceptance 3: French files (``;``, Windows-1252, decimal commas, dd/mm/yyyy dates) validate
when their dialect is declared or detected; a wrong delimiter is named with the right one.
Also: the Table Schema constraints of an imported dictionary hold for CSV and Parquet alike."""

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from catalog.uploads.dialect import Dialect, sniff

from .hub import Hub

STAY: dict[str, Any] = {
    "name": "SEJOUR",
    "primaryKey": "NUM",
    "missingValues": ["", "NA"],
    "fields": [
        {"name": "NUM", "type": "string"},
        {"name": "LIEU", "type": "string"},
        {"name": "ENTREE", "type": "date", "format": "%d/%m/%Y"},
        {"name": "MONTANT", "type": "number", "constraints": {"maximum": 1000}},
        {"name": "GRAVITE", "type": "integer", "constraints": {"enum": [1, 2, 3]}},
    ],
}
NAMES = [f["name"] for f in STAY["fields"]]


def french(rows: int = 30, *, montant: str = "12,5") -> bytes:
    lines = ["NUM;LIEU;ENTREE;MONTANT;GRAVITE"]
    lines += [
        f"S{i:04d};Établissement de la Forêt n°{i};0{1 + i % 9}/1{i % 3}/2020;{montant};"
        + ("NA" if i % 7 == 0 else str(1 + i % 3))
        for i in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
async def stays(hub: Hub) -> Hub:
    imported = await hub.client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": hub.dataset_id},
        json={"resources": [{"name": "SEJOUR", "schema": STAY}]},
        headers=hub.staff,
    )
    assert imported.status_code == 200, imported.text
    return hub


async def report(hub: Hub, version: dict[str, Any]) -> dict[str, Any]:
    url = hub.url(f"/versions/{version['id']}/report")
    found: dict[str, Any] = (await hub.client.get(url, headers=hub.producer)).json()
    return found


def rows_of(hub: Hub, version: dict[str, Any]) -> list[dict[str, Any]]:
    key = f"validated/{hub.dataset_id}/SEJOUR/v{version['number']:05d}.parquet"
    data = hub.minio.get_object(hub.landing, key).read()
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(data)).to_pylist()
    return rows


async def test_a_french_file_validates_with_its_dialect_detected(stays: Hub) -> None:
    response = await stays.send(french(), table="SEJOUR", part_size=400)
    assert response.status_code == 202
    version = response.json()
    assert version["status"] == "validated", await report(stays, version)
    dialect = (await report(stays, version))["dialect"]
    assert dialect == {
        "delimiter": ";",
        "quoteChar": '"',
        "header": True,
        "encoding": "windows-1252",
        "decimalChar": ",",
        "detected": ["decimalChar", "delimiter", "encoding", "header", "quoteChar"],
    }
    first = rows_of(stays, version)[1]
    assert first["LIEU"] == "Établissement de la Forêt n°1"
    assert (first["ENTREE"].isoformat(), first["MONTANT"], first["GRAVITE"]) == (
        "2020-11-02",
        12.5,
        2,
    )


async def test_a_french_file_validates_with_its_dialect_declared(stays: Hub) -> None:
    declared = {"delimiter": ";", "encoding": "windows-1252", "decimalChar": ","}
    version = (await stays.send(french(), table="SEJOUR", dialect=declared)).json()
    assert version["status"] == "validated"
    dialect = (await report(stays, version))["dialect"]
    assert dialect["detected"] == ["header", "quoteChar"]


async def test_a_wrong_delimiter_is_named_with_the_one_that_matches(stays: Hub) -> None:
    version = (await stays.send(french(), table="SEJOUR", delimiter=",")).json()
    assert version["status"] == "rejected"
    errors = (await report(stays, version))["errors"]
    assert {
        "type": "dialect-error",
        "rule": "delimiter",
        "row": 1,
        "column": None,
        "value": ";",
    } in (errors)
    assert {"dialect-error", "incorrect-label", "missing-label"} <= {e["type"] for e in errors}


async def test_a_declared_decimal_point_makes_commas_type_errors(stays: Hub) -> None:
    declared = {"delimiter": ";", "encoding": "windows-1252", "decimalChar": "."}
    version = (await stays.send(french(5), table="SEJOUR", dialect=declared)).json()
    errors = (await report(stays, version))["errors"]
    assert {(e["type"], e["column"], e["value"]) for e in errors} == {
        ("type-error", "MONTANT", "12,5")
    }


async def test_imported_constraints_hold_for_csv_and_parquet(stays: Hub) -> None:
    version = (await stays.send(french(12, montant="1000,5"), table="SEJOUR")).json()
    found = await report(stays, version)
    assert found["counts"] == {"maximum:MONTANT": 12}
    assert found["omitted"] == {"maximum:MONTANT": 2}  # ten listed per rule
    table = pa.table(
        {
            "NUM": ["A", "B", "A"],
            "LIEU": ["x", "y", "z"],
            "ENTREE": ["01/02/2020", "31/02/2020", "NA"],
            "MONTANT": pa.array([1.5, 2000.0, None]),
            "GRAVITE": pa.array([1, 4, 2], pa.int32()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    version = (await stays.send(buffer.getvalue(), table="SEJOUR", format="parquet")).json()
    errors = (await report(stays, version))["errors"]
    assert {(e["type"], e["rule"], e["row"], e["column"]) for e in errors} == {
        ("type-error", "type:date", 2, "ENTREE"),
        ("constraint-error", "maximum", 2, "MONTANT"),
        ("constraint-error", "enum", 2, "GRAVITE"),
        ("primary-key", "primary-key", 3, "NUM"),
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"A,B\n1,2\n", Dialect()),
        (b"\xef\xbb\xbfA;B\n1;2\n", Dialect(delimiter=";", encoding="utf-8-sig")),
        (b"A\tB\n1\t2\n", Dialect(delimiter="\t")),
        (b"A|B\n'x|y'|2\n", Dialect(delimiter="|", quote_char="'")),
        (b"1;2,5\n3;4\n", Dialect(delimiter=";", header=False, decimal_char=",")),
        ("A;B\né;1\n".encode("cp1252"), Dialect(delimiter=";", encoding="windows-1252")),
    ],
)
def test_sniffing(data: bytes, expected: Dialect) -> None:
    assert sniff(data, names=["A", "B"], numbers={"B"}, given={}) == expected
