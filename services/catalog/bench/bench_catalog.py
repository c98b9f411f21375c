"""Catalogue benchmark: search latency over the SNDS dictionary plus generated datasets, and
upload + validation throughput against a plain ``minio`` put to the same S3 server.

    .venv/bin/python services/catalog/bench/bench_catalog.py [--datasets 1000] [--size-mib 1024]

Everything runs for real, on this machine: a fresh PostgreSQL database (the machine's server,
or ``HDH_TEST_DATABASE_URL``), an S3 API server (moto), the catalogue as a uvicorn process.
Baselines are measured in the same run: a naive ``ILIKE`` scan of the same search documents,
and a ``minio`` ``fput_object`` of the same file.
"""

import argparse
import asyncio
import csv
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa
from minio import Minio
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common import migrations
from hdh_common.identity import (
    InternalTokenSigner,
    Principal,
    Role,
    generate_private_key_pem,
    public_key_pem,
)
from hdh_dev.processes import free_port, stop_process, wait_for_port
from hdh_dev.s3server import start_s3_server

SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "snds"
ACCESS_KEY, SECRET_KEY = "bench-access", "bench-secret"
PART_BYTES = 64 * 1024 * 1024
WORDS = [
    "patient",
    "séjour",
    "hospitalier",
    "acte",
    "médical",
    "diagnostic",
    "médicament",
    "prescription",
    "délivrance",
    "remboursement",
    "consultation",
    "urgence",
    "naissance",
    "décès",
    "cancer",
    "diabète",
    "dialyse",
    "imagerie",
    "biologie",
    "vaccin",
    "établissement",
    "praticien",
    "spécialité",
    "région",
    "commune",
    "âge",
    "sexe",
    "poids",
    "tension",
    "chirurgie",
    "anesthésie",
    "hospitalisation",
    "ambulatoire",
    "maternité",
    "psychiatrie",
    "réadaptation",
]
QUERIES = [
    "acte medical",
    "actes médicaux",
    "naissance",
    "date de naissance",
    "naissanse",
    "médicament délivré",
    "medicamant",
    "sexe du bénéficiaire",
    "BEN_NAI_ANN",
    "C510",
    "AHQP001",
    "tumeur maligne",
    "séjour hospitalier",
    "diagnostic principal",
    "remboursement",
    "dialyse",
    "spécialité du praticien",
    "commune de résidence",
    "cancer",
    "urgence",
]


def say(text: str) -> None:
    print(text, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Stack:
    """Database, S3 server and the catalogue process; torn down on exit."""

    def __init__(self) -> None:
        self.key = generate_private_key_pem()
        self.signer = InternalTokenSigner(self.key, issuer="hdh-gateway", ttl_seconds=3600)
        server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
        self.admin = server.render_as_string(hide_password=False)
        self.name = f"hdh_bench_{uuid.uuid4().hex[:8]}"
        self.url = server.set(database=self.name).render_as_string(hide_password=False)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def headers(self, role: str, org: str = "hdh") -> dict[str, str]:
        principal = Principal(
            subject=f"bench-{role}", roles=frozenset({Role(role)}), organisation=org
        )
        token = self.signer.sign(principal, audience="catalog")
        return {"Authorization": f"Bearer {token}"}

    @asynccontextmanager
    async def running(self) -> AsyncIterator["Stack"]:
        await _admin(self.admin, f'CREATE DATABASE "{self.name}"')
        s3 = start_s3_server()
        workdir = tempfile.TemporaryDirectory(prefix="hdh-bench-")
        try:
            await asyncio.to_thread(migrations.upgrade, "catalog", self.url)
            self.s3_endpoint = s3.endpoint
            self.process = self._serve(Path(workdir.name))
            yield self
        finally:
            if self.process is not None:
                stop_process(self.process)
            s3.stop()
            workdir.cleanup()
            if not os.environ.get("HDH_BENCH_KEEP_DATABASE"):
                await _admin(self.admin, f'DROP DATABASE "{self.name}" WITH (FORCE)')

    def _serve(self, workdir: Path) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "HDH_DATABASE_URL": self.url,
            "HDH_INTERNAL_TOKEN_PUBLIC_KEY": public_key_pem(self.key),
            "HDH_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "HDH_LOG_LEVEL": "CRITICAL",
            "HDH_STORAGE_BACKEND": "s3",
            "HDH_S3_ENDPOINT": self.s3_endpoint,
            "HDH_S3_ACCESS_KEY": ACCESS_KEY,
            "HDH_S3_SECRET_KEY": SECRET_KEY,
            "HDH_OUTBOX_POLL_INTERVAL": "5",
        }
        command = [sys.executable, "-m", "uvicorn", "--factory", "catalog.main:create_app"]
        command += ["--port", str(self.port), "--no-access-log", "--log-level", "critical"]
        log = (workdir / "catalog.log").open("ab")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603
        wait_for_port("127.0.0.1", self.port, process=process, timeout=30)
        return process


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


def snds_packages() -> tuple[dict[str, Any], dict[str, Any]]:
    tables = [
        {"name": s["name"], "schema": s}
        for s in (
            json.loads(p.read_text("utf-8")) for p in sorted((SHARED / "schemas").rglob("*.json"))
        )
    ]
    nomenclatures = []
    for path in sorted((SHARED / "nomenclatures").glob("*/*.json")):
        schema = json.loads(path.read_text("utf-8"))
        resource: dict[str, Any] = {"name": schema["name"], "schema": schema}
        values = path.with_suffix(".csv")
        if values.exists() and values.stat().st_size < 300_000:
            with values.open(encoding="utf-8", newline="") as file:
                resource["data"] = [row for row in csv.reader(file, delimiter=";") if row]
        nomenclatures.append(resource)
    return {"resources": tables}, {"resources": nomenclatures}


def generated_package(rng: random.Random, index: int) -> dict[str, Any]:
    def label() -> str:
        return " ".join(rng.sample(WORDS, 3)).capitalize()

    resources = []
    for t in range(2):
        fields = [
            {
                "name": f"V{index}_{t}_{v}",
                "type": rng.choice(["string", "integer", "date"]),
                "title": label(),
                "description": f"{label()} — {label()}",
            }
            for v in range(6)
        ]
        resources.append({"name": f"T{index}_{t}", "schema": {"title": label(), "fields": fields}})
    return {"resources": resources}


async def load_catalogue(stack: Stack, client: httpx.AsyncClient, count: int) -> None:
    staff = stack.headers("hub_staff")
    tables, nomenclatures = snds_packages()
    started = time.perf_counter()
    response = await client.post("/catalog/import/table-schema", json=nomenclatures, headers=staff)
    response.raise_for_status()
    body = {"slug": "snds", "title": "Système national des données de santé", "publisher": "cnam"}
    snds = (await client.post("/catalog/datasets", json=body, headers=staff)).json()
    response = await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": snds["id"]},
        json=tables,
        headers=staff,
    )
    response.raise_for_status()
    say(f"import SNDS (188 tables, 505 nomenclatures) : {time.perf_counter() - started:6.1f} s")
    rng = random.Random(42)
    started = time.perf_counter()
    semaphore = asyncio.Semaphore(8)

    async def one(index: int) -> None:
        async with semaphore:
            body = {
                "slug": f"generated-{index:04d}",
                "title": f"Jeu {index} : {rng.choice(WORDS)}",
                "publisher": f"org-{index % 25}",
                "themes": [rng.choice(["HEAL", "SOCI", "GOVE"])],
                "access_rights": rng.choice(["public", "restricted", "non_public"]),
            }
            created = (await client.post("/catalog/datasets", json=body, headers=staff)).json()
            package = generated_package(rng, index)
            response = await client.post(
                "/catalog/import/table-schema",
                params={"dataset_id": created["id"]},
                json=package,
                headers=staff,
            )
            response.raise_for_status()

    await asyncio.gather(*(one(i) for i in range(count)))
    say(f"{count} generated datasets, 2 x 6 variables: {time.perf_counter() - started:6.1f} s")


async def bench_search(stack: Stack, client: httpx.AsyncClient, rounds: int) -> None:
    reader = stack.headers("researcher")
    await _admin(
        stack.url, "ANALYZE catalog.search_document"
    )  # as autovacuum would, after a bulk load
    latencies: list[float] = []
    for query in QUERIES:  # warm-up
        await client.get("/catalog/search", params={"q": query}, headers=reader)
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            response = await client.get(
                "/catalog/search", params={"q": query, "limit": 20}, headers=reader
            )
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    baseline = await naive_scan(stack.url, rounds)
    engine = create_async_engine(stack.url)
    async with engine.connect() as connection:
        documents = await connection.scalar(sa.text("SELECT count(*) FROM catalog.search_document"))
    await engine.dispose()
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    b50, b95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    say(f"search documents indexed                   : {documents}")
    say(
        f"search, {len(latencies)} queries over HTTP  : p50 {p50:6.1f} ms, p95 {p95:6.1f} ms"
        " (target p95 < 50 ms)"
    )
    say(f"baseline: naive ILIKE scan in SQL only      : p50 {b50:6.1f} ms, p95 {b95:6.1f} ms")
    say(f"ratio search p95 / naive ILIKE p95          : {p95 / b95:6.2f}x")


async def naive_scan(url: str, rounds: int) -> list[float]:
    engine = create_async_engine(url)
    latencies = []
    statement = sa.text(
        "SELECT kind, name, label FROM catalog.search_document"
        " WHERE label ILIKE :pattern OR body ILIKE :pattern OR name ILIKE :pattern LIMIT 20"
    )
    try:
        async with engine.connect() as connection:
            for _ in range(rounds):
                for query in QUERIES:
                    started = time.perf_counter()
                    await connection.execute(statement, {"pattern": f"%{query}%"})
                    latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return latencies


def write_csv(path: Path, size: int) -> str:
    """A CSV of about ``size`` bytes with unique keys, written block by block."""
    rows = 400_000
    template = "".join(
        f"P0000{i:07d},{1 + i % 2},19{50 + i % 40}-0{1 + i % 9}-1{i % 9},{50 + i % 50}.5\n"
        for i in range(rows)
    ).encode()
    digest = hashlib.sha256()
    with path.open("wb") as file:
        header = b"PAT_ID,SEX_COD,NAI_DTE,POIDS\n"
        file.write(header)
        digest.update(header)
        block = 0
        while file.tell() < size:
            data = template.replace(b"P0000", b"P%04d" % block)
            file.write(data)
            digest.update(data)
            block += 1
    return digest.hexdigest()


class PeakMemory:
    """Samples a process's resident memory in a thread; reports the growth over the start."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / 2**20


async def file_parts(path: Path, offset: int, length: int) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        file.seek(offset)
        left = length
        while left > 0:
            chunk = file.read(min(1024 * 1024, left))
            left -= len(chunk)
            yield chunk


async def bench_upload(stack: Stack, client: httpx.AsyncClient, size_mib: int) -> None:
    staff = stack.headers("hub_staff")
    producer = stack.headers("producer", org="aphp")
    body = {"slug": "bench-upload", "title": "Patients", "publisher": "aphp"}
    dataset = (await client.post("/catalog/datasets", json=body, headers=staff)).json()
    table = {
        "name": "PATIENT",
        "primaryKey": "PAT_ID",
        "fields": [
            {"name": "PAT_ID", "type": "string"},
            {"name": "SEX_COD", "type": "integer"},
            {"name": "NAI_DTE", "type": "date"},
            {"name": "POIDS", "type": "number"},
        ],
    }
    url = "/catalog/import/table-schema"
    (
        await client.post(url, params={"dataset_id": dataset["id"]}, json=table, headers=staff)
    ).raise_for_status()
    with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder:
        path = Path(folder) / "patients.csv"
        started = time.perf_counter()
        digest = write_csv(path, size_mib * 2**20)
        size = path.stat().st_size
        mib = size / 2**20
        say(f"CSV written: {mib:.0f} MiB in {time.perf_counter() - started:.1f} s")
        minio = Minio(stack.s3_endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)
        minio.make_bucket("baseline")
        started = time.perf_counter()
        minio.fput_object("baseline", "patients.csv", str(path), part_size=PART_BYTES)
        baseline = mib / (time.perf_counter() - started)
        minio.remove_object("baseline", "patients.csv")
        base = f"/catalog/datasets/{dataset['id']}/uploads"
        upload = (
            await client.post(
                base, json={"table": "PATIENT", "size": size, "sha256": digest}, headers=producer
            )
        ).json()
        assert stack.process is not None
        with PeakMemory(stack.process.pid) as memory:
            started = time.perf_counter()
            for number, offset in enumerate(range(0, size, PART_BYTES), start=1):
                length = min(PART_BYTES, size - offset)
                part_digest = await asyncio.to_thread(_sha256, path, offset, length)
                response = await client.put(
                    f"{base}/{upload['id']}/parts/{number}",
                    content=file_parts(path, offset, length),
                    headers=producer | {"X-Part-SHA256": part_digest},
                )
                response.raise_for_status()
            upload_seconds = time.perf_counter() - started
            started = time.perf_counter()
            response = await client.post(f"{base}/{upload['id']}/complete", headers=producer)
            complete_seconds = time.perf_counter() - started
        version = response.json()
        parts = len(range(0, size, PART_BYTES))
        say(f"baseline: minio fput_object to the same S3  : {baseline:7.1f} MiB/s")
        say(
            f"upload through the API, {parts} parts  : {mib / upload_seconds:7.1f} MiB/s,"
            f" ratio {mib / upload_seconds / baseline:4.2f}x (target >= 0.7x)"
        )
        say(
            f"complete: S3 read, validate, Parquet put : {mib / complete_seconds:7.1f} MiB/s"
            f" ({complete_seconds:.1f} s, {version.get('status')}, {version.get('row_count')} rows)"
        )
        say(
            f"service peak RSS growth, upload+validate : {memory.growth_mib:7.1f} MiB"
            " (target < 256 MiB)"
        )
        local_mib, local_seconds, cpu_seconds = await asyncio.to_thread(_validate_locally, path)
        say(
            f"validation alone, 1 thread, in memory   : {local_mib / local_seconds:7.1f} MiB/s"
            f" of CSV, {local_mib / cpu_seconds:.1f} MiB/s of the thread's CPU time"
            " (target >= 100 per core)"
        )


def _sha256(path: Path, offset: int, length: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        file.seek(offset)
        left = length
        while left > 0:
            chunk = file.read(min(8 * 1024 * 1024, left))
            left -= len(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _validate_locally(path: Path, limit: int = 128 * 2**20) -> tuple[float, float, float]:
    """The validator alone over the first ``limit`` bytes (whole rows), in memory: MiB, wall
    seconds and the thread's CPU seconds (a loaded machine stretches the first, not the last)."""
    from catalog.uploads.validator import ColumnRule, TableRules, Validator, csv_batches

    rules = TableRules(
        columns=(
            ColumnRule("PAT_ID", "string", required=True),
            ColumnRule("SEX_COD", "integer"),
            ColumnRule("NAI_DTE", "date"),
            ColumnRule("POIDS", "number"),
        ),
        primary_key=("PAT_ID",),
    )
    with path.open("rb") as file:
        data = file.read(limit).rsplit(b"\n", 1)[0] + b"\n"
    source = io.BytesIO(data)
    with tempfile.TemporaryDirectory(prefix="hdh-bench-") as folder:
        validator = Validator(rules, workdir=Path(folder), max_errors=10)
        started, cpu_started = time.perf_counter(), time.thread_time()
        names = [c.name for c in rules.columns]
        outcome = validator.run(
            csv_batches(source, report=validator.report, columns=names, rules=rules)
        )
        assert outcome.report.ok, outcome.report.errors
        seconds, cpu_seconds = time.perf_counter() - started, time.thread_time() - cpu_started
        return len(data) / 2**20, seconds, cpu_seconds


async def main(args: argparse.Namespace) -> None:
    stack = Stack()
    started = time.perf_counter()
    async with stack.running():
        say(f"stack up (database, S3 server, catalogue)  : {time.perf_counter() - started:6.1f} s")
        timeout = httpx.Timeout(600.0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{stack.port}", timeout=timeout
        ) as client:
            await load_catalogue(stack, client, args.datasets)
            await bench_search(stack, client, args.rounds)
            if args.size_mib > 0:
                await bench_upload(stack, client, args.size_mib)
    say(f"total: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=1000, help="generated datasets")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the query list")
    parser.add_argument("--size-mib", type=int, default=1024, help="CSV size; 0 skips uploads")
    asyncio.run(main(parser.parse_args()))
