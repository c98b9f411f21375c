"""Audit log benchmark: ingestion from the broker against a plain batched INSERT of the same
rows, inclusion-proof latency on a large tree, export throughput.

Run: ``.venv/bin/python services/audit/bench/bench_audit.py`` (``--help`` for sizes). It uses
the machine's PostgreSQL (``HDH_TEST_DATABASE_URL``, else the local server) in fresh databases
dropped at the end, and a Tansu broker it starts itself.
"""

import argparse
import asyncio
import hashlib
import logging
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import create_async_engine

from audit.config import Settings
from audit.entries.document import document_hash, entry_document
from audit.entries.models import Entry
from audit.ingest.consumer import BatchIngester
from audit.ingest.mapping import entry_from_event
from audit.main import create_app
from audit.merkle import CompactRange
from audit.tree import service as tree
from hdh_common import migrations
from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.identity import (
    InternalTokenSigner,
    Principal,
    Role,
    generate_private_key_pem,
    public_key_pem,
)
from hdh_common.kafka import ensure_topics
from hdh_dev.broker import start_tansu
from hdh_dev.testing import SERVER_URL, running

TOPIC = "hdh.bench"
SCHEMA = "audit"
COPY_CHUNK = 100_000
PLAIN_TABLE = sa.Table(
    "entry",
    sa.MetaData(schema="plain"),
    *[sa.Column(column.name, column.type) for column in Entry.__table__.columns],
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=40_000, help="events to ingest")
    parser.add_argument("--batch", type=int, default=1_000, help="ingest and insert batch size")
    parser.add_argument("--tree-size", type=int, default=1_000_000, help="leaves of the big tree")
    parser.add_argument("--proofs", type=int, default=2_000, help="inclusion proofs to time")
    return parser.parse_args()


def report(label: str, text: str) -> None:
    print(f"{label:<26}: {text}", flush=True)


@asynccontextmanager
async def fresh_database(prefix: str) -> AsyncIterator[str]:
    server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(migrations.upgrade, "audit", url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def events(count: int) -> list[CloudEvent]:
    return [
        CloudEvent(
            source="/access",
            type="hdh.access.grant.issued.v1",
            subject=f"grant-{n % 997}",
            actor=f"user-{n % 101}",
            correlationid=uuid.uuid4().hex,
            data={"project_id": f"p-{n % 53}", "grant_id": f"g-{n}", "variables": ["a", "b"]},
        )
        for n in range(count)
    ]


async def publish(broker: str, batch: list[CloudEvent]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=broker, linger_ms=20, max_batch_size=262_144)
    await producer.start()
    started = time.perf_counter()
    try:
        for item in batch:
            await producer.send(TOPIC, item.to_json(), key=(item.subject or "").encode())
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def until(check: Callable[[], bool], step: float) -> None:
    while not check():  # noqa: ASYNC110 - polling a counter another task updates
        await asyncio.sleep(step)


async def ingestion_rate(url: str, broker: str, *, count: int, batch: int) -> float:
    """Entries/s sequenced from the broker, timed from the first batch (the group join is not
    ingestion) to the last."""
    engine = create_async_engine(url, pool_size=4)
    ingester = BatchIngester(
        sessionmaker=create_sessionmaker(engine),
        bootstrap_servers=broker,
        pattern=r"^hdh\..*",
        batch_size=batch,
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
    )
    task = asyncio.create_task(ingester.run())
    await until(lambda: ingester.appended > 0, 0.005)
    started, first = time.perf_counter(), ingester.appended
    await until(lambda: ingester.appended >= count, 0.01)
    seconds = time.perf_counter() - started
    task.cancel()
    await asyncio.wait([task], timeout=5)
    async with engine.connect() as connection:
        stored = await connection.scalar(sa.text("SELECT count(*) FROM audit.entry"))
        gapless = await connection.scalar(sa.text("SELECT max(seq) + 1 FROM audit.entry"))
    await engine.dispose()
    assert stored == gapless == count, (stored, gapless, count)
    return (count - first) / seconds


def plain_rows(batch: list[CloudEvent]) -> list[dict[str, Any]]:
    rows = []
    for seq, item in enumerate(batch):
        fields = entry_from_event(item).model_dump()
        fields["seq"] = seq
        fields["leaf_hash"] = document_hash(entry_document(fields))
        rows.append(fields)
    return rows


async def plain_insert_rate(url: str, rows: list[dict[str, Any]], *, batch: int) -> float:
    """The same rows, batched INSERTs into a table shaped and indexed like ``audit.entry``."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE SCHEMA plain"))
        await connection.execute(
            sa.text("CREATE TABLE plain.entry (LIKE audit.entry INCLUDING ALL)")
        )
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        async with engine.begin() as connection:
            await connection.execute(sa.insert(PLAIN_TABLE), rows[start : start + batch])
    seconds = time.perf_counter() - started
    await engine.dispose()
    return len(rows) / seconds


async def build_big_tree(url: str, size: int) -> float:
    """COPY every node of a ``size``-leaf tree (synthetic leaves): proofs read only nodes."""
    started = time.perf_counter()
    edge = CompactRange()
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        for start in range(0, size, COPY_CHUNK):
            leaves = (
                hashlib.sha256(b"\x00" + index.to_bytes(8, "big")).digest()
                for index in range(start, min(start + COPY_CHUNK, size))
            )
            records = edge.extend(leaves)
            await driver.copy_records_to_table("tree_node", schema_name="audit", records=records)
        await connection.commit()
        await connection.execute(sa.text("ANALYZE audit.tree_node"))
        await connection.commit()
    await engine.dispose()
    return time.perf_counter() - started


def settings_for(url: str, broker: str, folder: Path, public_key: str) -> Settings:
    return Settings(
        environment="dev",
        database_url=url,
        kafka_bootstrap_servers=broker,
        internal_token_public_key=public_key,
        audit_signing_key_file=folder / "audit.pem",
        audit_ingest_enabled=False,
        audit_tree_head_interval=3600.0,
        storage_path=folder / "objects",
    )


def auditor_headers(private_key: str) -> dict[str, str]:
    signer = InternalTokenSigner(private_key, issuer="hdh-gateway", ttl_seconds=3600)
    value = signer.sign(Principal("bench", frozenset({Role.AUDITOR})), audience="audit")
    return {"Authorization": f"Bearer {value}"}


def random_proofs(size: int, count: int) -> list[tuple[int, int]]:
    rng = random.Random(7)
    sizes = [rng.randint(1, size) for _ in range(count)]
    return [(rng.randrange(tree_size), tree_size) for tree_size in sizes]


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    timings = []
    for call in calls:
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def proof_latencies(
    settings: Settings, headers: dict[str, str], proofs: list[tuple[int, int]]
) -> tuple[list[float], list[float]]:
    """Milliseconds per proof: in the service (session + reads), and over HTTP (ASGI)."""
    engine = create_async_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)

    async def direct(index: int, size: int) -> None:
        async with sessionmaker() as session:
            await tree.inclusion(session, index=index, size=size)

    service_ms = await timed([lambda i=i, n=n: direct(i, n) for i, n in proofs])
    await engine.dispose()
    async with running(create_app(settings)) as client:

        async def over_http(index: int, size: int) -> None:
            params = {"leaf_index": index, "tree_size": size}
            response = await client.get("/audit/proofs/inclusion", params=params, headers=headers)
            assert response.status_code == 200, response.text

        http_ms = await timed([lambda i=i, n=n: over_http(i, n) for i, n in proofs])
    return service_ms, http_ms


async def export_rate(
    settings: Settings, headers: dict[str, str], fmt: str
) -> tuple[float, float, int]:
    async with running(create_app(settings)) as client:
        started, size = time.perf_counter(), 0
        params = {"format": fmt}
        async with client.stream("GET", "/audit/export", params=params, headers=headers) as answer:
            async for chunk in answer.aiter_raw():
                size += len(chunk)
        seconds = time.perf_counter() - started
        rows = int(answer.headers["x-audit-tree-size"])
    return rows / seconds, size / seconds / 1e6, rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latency(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):.2f} ms, p95 {percentile(values, 0.95):.2f} ms, "
        f"p99 {percentile(values, 0.99):.2f} ms"
    )


async def bench_log(args: argparse.Namespace, broker: str, folder: Path, private_key: str) -> None:
    batch = events(args.events)
    await ensure_topics(broker, [TOPIC])
    report("broker publish (setup)", f"{args.events / await publish(broker, batch):,.0f} events/s")
    async with fresh_database("hdh_bench_log") as url:
        ingest = await ingestion_rate(url, broker, count=args.events, batch=args.batch)
        plain = await plain_insert_rate(url, plain_rows(batch), batch=args.batch)
        report("ingestion broker→log", f"{ingest:,.0f} entries/s ({args.events:,} events)")
        report("plain batched INSERT", f"{plain:,.0f} rows/s (same rows, same indexes)")
        report("ratio ingestion / plain", f"{ingest / plain:.2f}")
        settings = settings_for(url, broker, folder, public_key_pem(private_key))
        for fmt in ("ndjson", "csv", "parquet"):
            rows, megabytes, count = await export_rate(settings, auditor_headers(private_key), fmt)
            report(f"export {fmt}", f"{rows:,.0f} entries/s, {megabytes:.1f} MB/s ({count:,})")


async def bench_proofs(
    args: argparse.Namespace, broker: str, folder: Path, private_key: str
) -> None:
    async with fresh_database("hdh_bench_tree") as url:
        seconds = await build_big_tree(url, args.tree_size)
        report(
            "big tree (setup)", f"{args.tree_size:,} leaves, all nodes COPYed in {seconds:.1f} s"
        )
        settings = settings_for(url, broker, folder, public_key_pem(private_key))
        proofs = random_proofs(args.tree_size, args.proofs)
        service_ms, http_ms = await proof_latencies(settings, auditor_headers(private_key), proofs)
        report("inclusion proof, service", latency(service_ms))
        report("inclusion proof, HTTP", f"{latency(http_ms)} ({args.proofs:,} random proofs)")


async def main() -> None:
    args = parse_args()
    logging.disable(logging.WARNING)
    began = time.perf_counter()
    broker = start_tansu()
    private_key = generate_private_key_pem()
    try:
        with TemporaryDirectory() as folder:
            await bench_log(args, broker.bootstrap_servers, Path(folder), private_key)
            await bench_proofs(args, broker.bootstrap_servers, Path(folder), private_key)
    finally:
        broker.stop()
    report("total", f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
