"""An upload hub: a catalogue on the S3 server with a ``PATIENT`` table, and its data."""

import csv
import hashlib
import io
from dataclasses import dataclass
from typing import Any

import httpx
from minio import Minio

ACCESS_KEY, SECRET_KEY = "test-access", "test-secret"
SEX = {
    "name": "IR_SEX_V",
    "schema": {
        "name": "IR_SEX_V",
        "title": "Sexe",
        "fields": [
            {"name": "SEX_COD", "type": "integer", "role": "code"},
            {"name": "SEX_LIB", "type": "string", "role": "label"},
        ],
        "primaryKey": ["SEX_COD"],
    },
    "data": [["SEX_COD", "SEX_LIB"], ["1", "MASCULIN"], ["2", "FEMININ"], ["9", "INCONNU"]],
}
PATIENT = {
    "name": "PATIENT",
    "title": "Patients",
    "primaryKey": "PAT_ID",
    "fields": [
        {"name": "PAT_ID", "type": "string", "description": "Identifiant"},
        {"name": "SEX_COD", "type": "integer", "nomenclature": "IR_SEX_V"},
        {"name": "NAI_DTE", "type": "date", "description": "Date de naissance"},
        {"name": "POIDS", "type": "number", "description": "Poids en kg"},
    ],
}
HEADER = ["PAT_ID", "SEX_COD", "NAI_DTE", "POIDS"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def csv_bytes(rows: list[list[Any]], *, header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def good_rows(count: int) -> list[list[Any]]:
    return [
        [f"P{i:05d}", 1 + i % 2, f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}", 60.5]
        for i in range(count)
    ]


@dataclass
class Hub:
    client: httpx.AsyncClient
    dataset_id: str
    producer: dict[str, str]
    staff: dict[str, str]
    minio: Minio
    landing: str

    def url(self, path: str = "") -> str:
        return f"/catalog/datasets/{self.dataset_id}{path}"

    def objects(self, bucket: str) -> list[str]:
        if not self.minio.bucket_exists(bucket):
            return []
        return [o.object_name or "" for o in self.minio.list_objects(bucket, recursive=True)]

    async def start(self, data: bytes, **overrides: Any) -> dict[str, Any]:
        body = {"table": "PATIENT", "size": len(data), "sha256": sha256(data)} | overrides
        response = await self.client.post(self.url("/uploads"), json=body, headers=self.producer)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def put(
        self, upload_id: str, number: int, data: bytes, digest: str | None = None
    ) -> httpx.Response:
        headers = self.producer | {"X-Part-SHA256": digest or sha256(data)}
        return await self.client.put(
            self.url(f"/uploads/{upload_id}/parts/{number}"), content=data, headers=headers
        )

    async def send(self, data: bytes, *, part_size: int = 1000, **overrides: Any) -> httpx.Response:
        upload = await self.start(data, **overrides)
        for number, offset in enumerate(range(0, len(data), part_size), start=1):
            response = await self.put(upload["id"], number, data[offset : offset + part_size])
            assert response.status_code == 200, response.text
        return await self.client.post(
            self.url(f"/uploads/{upload['id']}/complete"), headers=self.producer
        )
