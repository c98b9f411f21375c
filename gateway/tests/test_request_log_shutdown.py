"""At shutdown the request log publishes what its spool holds, within the drain time; the age
of the oldest spooled entry is a metric."""

import asyncio
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from gateway.requestlog.log import TOPIC, RequestLog, RequestLogMetrics
from gateway.requestlog.spool import Spool
from hdh_dev.broker import TansuBroker
from hdh_dev.processes import free_port
from hdh_dev.testing import read_topic

ENTRIES = 2000


def request_log(tmp_path: Path, bootstrap: str) -> tuple[RequestLog, Spool, CollectorRegistry]:
    registry = CollectorRegistry()
    spool = Spool(tmp_path / "spool", max_bytes=64 * 1024 * 1024)
    log = RequestLog(
        spool=spool,
        bootstrap_servers=bootstrap,
        instance="gateway-drain",
        metrics=RequestLogMetrics(registry),
    )
    return log, spool, registry


async def test_the_spool_is_drained_at_shutdown(own_broker: TansuBroker, tmp_path: Path) -> None:
    log, spool, _ = request_log(tmp_path, own_broker.bootstrap_servers)
    log.start()
    for n in range(ENTRIES):
        assert log.record({"request_id": f"r{n}", "status": 200}, actor="alice")
    await log.close(timeout=20)
    assert spool.read(1) == []
    spool.close()
    records = await read_topic(own_broker.bootstrap_servers, TOPIC, count=ENTRIES)
    assert len(records) == ENTRIES


async def test_the_age_of_the_oldest_entry_and_a_prompt_stop_without_broker(
    tmp_path: Path,
) -> None:
    log, spool, registry = request_log(tmp_path, f"127.0.0.1:{free_port()}")
    log.start()
    assert log.oldest_age() == 0.0
    log.record({"request_id": "r1", "status": 200}, actor=None)
    await asyncio.sleep(1.3)
    assert 1.0 <= log.oldest_age() < 10
    text = generate_latest(registry).decode()
    assert "gateway_request_log_spool_oldest_age_seconds 1." in text
    started = time.monotonic()
    await log.close(timeout=20)
    assert time.monotonic() - started < 5  # the broker is away: the entry waits on disk
    assert spool.read(1) != []
    spool.close()
