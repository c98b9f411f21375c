"""Acceptance 6: a 10 s broker outage under steady traffic loses no request-log entry, and
entries arrive in order per gateway instance; a full spool fails health-data routes closed."""

import asyncio
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from gateway.requestlog.spool import Spool, SpoolInUse
from hdh_common.events import CloudEvent
from hdh_dev.broker import start_tansu
from hdh_dev.processes import free_port
from hdh_dev.tcpproxy import TcpProxy
from hdh_dev.testing import bearer

from .stack import StackFactory

OUTAGE_SECONDS = 10.0
INTERVAL = 0.05


@pytest.fixture
def broker_behind_proxy() -> Iterator[tuple[int, int]]:
    """A Tansu broker on its own port that advertises the port of a relay in front of it."""
    advertised = free_port()
    broker = start_tansu(advertised_port=advertised)
    yield broker.port, advertised
    broker.stop()


async def traffic(client: httpx.AsyncClient, token: str, *, seconds: float) -> list[str]:
    ids = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        response = await client.get("/catalog/echo", headers=bearer(token))
        assert response.status_code == 200
        ids.append(response.headers["x-request-id"])
        await asyncio.sleep(INTERVAL)
    return ids


async def consumed(
    bootstrap: str, *, expected: set[str], timeout: float
) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = await _partitions(consumer)
        consumer.assign([TopicPartition("hdh.gateway", p) for p in partitions])
        events: list[dict[str, object]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            events += [json.loads(r.value) for records in batches.values() for r in records]
            if expected <= {e["data"]["request_id"] for e in events}:  # type: ignore[index]
                break
        return events
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer) -> set[int]:
    for _ in range(50):
        partitions = consumer.partitions_for_topic("hdh.gateway")
        if partitions:
            return set(partitions)
        await consumer.topics()
        await asyncio.sleep(0.2)
    raise AssertionError("no hdh.gateway topic")


async def test_a_broker_outage_loses_nothing_and_keeps_order(
    broker_behind_proxy: tuple[int, int], make_stack: StackFactory
) -> None:
    broker_port, relay_port = broker_behind_proxy
    relay = TcpProxy(port=relay_port, target_port=broker_port)
    await relay.start()
    bootstrap = f"127.0.0.1:{relay_port}"
    async with make_stack(kafka_bootstrap_servers=bootstrap) as stack:
        token = await stack.token("alice")
        ids = await traffic(stack.client, token, seconds=2)
        await relay.cut()
        ids += await traffic(stack.client, token, seconds=OUTAGE_SECONDS)
        await relay.start()
        ids += await traffic(stack.client, token, seconds=2)
        events = await consumed(bootstrap, expected=set(ids), timeout=30)
        metrics = (await stack.client.get("/metrics")).text
    await relay.cut()

    unique = {str(e["id"]): e for e in events}
    by_request = [str(e["data"]["request_id"]) for e in unique.values()]  # type: ignore[index]
    assert set(ids) <= set(by_request)
    assert len(by_request) == len(set(by_request))
    sequence = [int(e["data"]["seq"]) for e in unique.values()]  # type: ignore[index]
    assert sequence == sorted(sequence)
    assert {e["type"] for e in events} == {"hdh.gateway.request.completed.v1"}
    assert all(CloudEvent.model_validate(e).source.startswith("/gateway/") for e in events)
    first = next(e for e in unique.values() if e["data"]["request_id"] == ids[0])  # type: ignore[index]
    assert first["actor"] == "alice" and first["requestid"] == ids[0]
    assert first["data"]["route"] == "/catalog/echo"  # type: ignore[index]
    assert first["data"]["status"] == 200  # type: ignore[index]
    assert set(first["data"]) >= {
        "subject",
        "roles",
        "method",
        "resource_type",
        "resource_id",
        "duration_ms",
        "client_ip",
    }  # type: ignore[arg-type]
    assert "gateway_request_log_dropped_total 0.0" in metrics
    print(
        f"{len(ids)} requests, {len(events)} events read, {len(events) - len(unique)} redelivered"
    )


async def test_a_full_spool_fails_health_data_routes_closed(make_stack: StackFactory) -> None:
    async with make_stack(
        request_log_spool_max_bytes=8192,
        health_data_routes=["/catalog/download*"],
    ) as stack:
        headers = bearer(await stack.token("alice"))
        while (await stack.client.get("/catalog/echo", headers=headers)).status_code == 200:
            if "gateway_request_log_dropped_total 1.0" in (await stack.client.get("/metrics")).text:
                break
        refused = await stack.client.get("/catalog/download?size=10", headers=headers)
        assert refused.status_code == 503
        assert refused.json()["type"] == "/problems/request-log-unavailable"
        assert "/catalog/download" not in stack.calls.paths


def test_the_spool_keeps_order_across_segments_and_restarts(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000, segment_bytes=100)
    for n in range(30):
        assert spool.append(json.dumps({"n": n}).encode())
    first = spool.read(12)
    assert [json.loads(e.data)["n"] for e in first] == list(range(12))
    spool.acknowledge(first[-1].end)
    spool.close()
    reopened = Spool(tmp_path, max_bytes=10_000, segment_bytes=100)
    rest = reopened.read(100)
    assert [json.loads(e.data)["n"] for e in rest] == list(range(12, 30))
    reopened.acknowledge(rest[-1].end)
    assert reopened.size < 100
    assert not Spool(tmp_path / "small", max_bytes=10).append(b"x" * 20)


def test_a_full_disk_closes_the_spool_until_a_write_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    assert not spool.append(b'{"n": 1}')
    assert not spool.has_room()
    monkeypatch.setattr(os, "write", real_write)
    assert spool.append(b'{"n": 2}')
    assert spool.has_room()
    assert [e.data for e in spool.read(10)] == [b'{"n": 2}']


def test_one_spool_per_instance(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1000)
    with pytest.raises(SpoolInUse):
        Spool(tmp_path, max_bytes=1000)
    spool.close()
    Spool(tmp_path, max_bytes=1000).close()
