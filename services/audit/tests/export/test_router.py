"""Exports for auditors: NDJSON, CSV, Parquet, with the tree's leaf hashes and filters."""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.export import service

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]


@pytest.fixture
async def logged(client: httpx.AsyncClient, as_role: Headers, draft: Draft) -> None:
    for n in range(7):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))


@pytest.mark.usefixtures("logged")
async def test_ndjson_rows_carry_the_entry_and_its_leaf(
    client: httpx.AsyncClient, as_role: Headers
) -> None:
    auditor = as_role("auditor")
    response = await client.get("/audit/export", headers=auditor)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["x-audit-tree-size"] == "7"
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [r["leaf_index"] for r in rows] == list(range(7))
    served = (await client.get("/audit/entries/3", headers=auditor)).json()
    assert rows[3] == {"leaf_index": 3, "leaf_hash": served["leaf_hash"], "entry": served["entry"]}


@pytest.mark.usefixtures("logged")
async def test_csv_and_parquet_with_filters(client: httpx.AsyncClient, as_role: Headers) -> None:
    auditor = as_role("auditor")
    params = {"project": "project-1", "tree_size": 6}
    text = (
        await client.get("/audit/export", params=params | {"format": "csv"}, headers=auditor)
    ).text
    records = list(csv.DictReader(io.StringIO(text)))
    assert [r["leaf_index"] for r in records] == ["1", "3", "5"]
    assert json.loads(records[0]["entry_json"])["actor"] == records[0]["actor"]
    parquet = await client.get(
        "/audit/export", params=params | {"format": "parquet"}, headers=auditor
    )
    table = pq.read_table(pa.BufferReader(parquet.content))
    assert table.column("leaf_index").to_pylist() == [1, 3, 5]
    assert table.column("leaf_hash").to_pylist() == [r["leaf_hash"] for r in records]


@pytest.mark.usefixtures("logged")
async def test_export_streams_in_batches(
    client: httpx.AsyncClient, as_role: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    chunks: list[bytes] = []
    async with client.stream(
        "GET", "/audit/export", params={"format": "parquet"}, headers=as_role("auditor")
    ) as response:
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
    table = pq.read_table(pa.BufferReader(b"".join(chunks)))
    assert table.num_rows == 7
    assert pq.ParquetFile(pa.BufferReader(b"".join(chunks))).num_row_groups == 4


@pytest.mark.usefixtures("logged")
async def test_a_future_tree_size_is_refused(client: httpx.AsyncClient, as_role: Headers) -> None:
    response = await client.get(
        "/audit/export", params={"tree_size": 8}, headers=as_role("auditor")
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_csv_cells_cannot_start_a_formula(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft
) -> None:
    hostile = {
        "project": "+1+cmd|' /C calc'!A0",
        "resource_id": "-2+3",
        "resource_type": "@SUM(A1:A9)",
        "action": "\tsomething",
        "outcome": "\rfailure",
    }
    actor = '=HYPERLINK("http://x.example")'  # the caller's subject is the actor
    appended = await client.post(
        "/audit/entries", json=draft(1, **hostile), headers=as_role("system", sub=actor)
    )
    assert appended.status_code == 201, appended.text
    hostile["actor"] = actor
    response = await client.get(
        "/audit/export", params={"format": "csv"}, headers=as_role("auditor")
    )
    (record,) = csv.DictReader(io.StringIO(response.text, newline=""))
    assert {name: record[name] for name in hostile} == {
        name: f"'{value}" for name, value in hostile.items()
    }
    assert {name: json.loads(record["entry_json"])[name] for name in hostile} == hostile
