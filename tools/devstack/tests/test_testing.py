"""The shared test helpers guard the suite's isolation: a relay that outlives its test fails it."""

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from hdh_common.outbox import Outbox, OutboxRelay, RelayMetrics
from hdh_dev.testing import Messaging, eventually, no_relay_left


def relay(messaging: Messaging) -> OutboxRelay:
    return OutboxRelay(
        outbox=Outbox(messaging.tables, service=messaging.schema),
        sessionmaker=messaging.sessionmaker,
        bootstrap_servers="127.0.0.1:1",
        metrics=RelayMetrics(CollectorRegistry()),
    )


async def test_a_relay_left_running_fails_the_block(messaging: Messaging) -> None:
    with pytest.raises(AssertionError, match="outbox relays outlived their app"), no_relay_left():
        leaked = asyncio.create_task(relay(messaging).run())
        await asyncio.sleep(0)
    leaked.cancel()
    await asyncio.gather(leaked, return_exceptions=True)


async def test_a_relay_stopped_in_the_block_passes(messaging: Messaging) -> None:
    with no_relay_left():
        stopped = asyncio.create_task(relay(messaging).run())
        await asyncio.sleep(0)
        stopped.cancel()
        await asyncio.gather(stopped, return_exceptions=True)


async def test_eventually_waits_for_the_condition_then_gives_up() -> None:
    calls: list[int] = []

    async def third_time() -> bool:
        calls.append(1)
        return len(calls) == 3

    await eventually(third_time, interval=0.01)
    assert len(calls) == 3

    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"never not met in 0\.05 s"):
        await eventually(never, within=0.05, interval=0.01)
