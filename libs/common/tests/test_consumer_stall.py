"""Background loops do not outlive their app, nor wait forever: a consumer whose fetches come
back empty while the broker holds records past its position restarts (pure logic, on a
stand-in for the Kafka client); a loop whose cancellation was lost is cancelled again."""

import asyncio

import pytest
from aiokafka import TopicPartition

from hdh_common.app import stop_tasks
from hdh_common.consumer import ConsumerStalled, EventConsumer

TP = TopicPartition("hdh.catalog", 0)


class Client:
    def __init__(self, *, end: int, position: int) -> None:
        self.end, self.at = end, position

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, self.end)

    async def position(self, partition: TopicPartition) -> int:
        return self.at


def consumer(client: Client) -> EventConsumer[None]:
    found = EventConsumer.__new__(EventConsumer)
    found._consumer = client  # type: ignore[assignment]
    return found


async def test_behind_twice_at_the_same_position_is_a_stall() -> None:
    stuck = consumer(Client(end=3, position=1))
    seen = await stuck._check_not_stalled(set())
    assert seen == {(TP, 1)}
    with pytest.raises(ConsumerStalled):
        await stuck._check_not_stalled(seen)


async def test_moving_or_caught_up_is_not() -> None:
    client = Client(end=3, position=1)
    moving = consumer(client)
    seen = await moving._check_not_stalled(set())
    client.at = 2
    assert await moving._check_not_stalled(seen) == {(TP, 2)}
    client.at = 3
    assert await moving._check_not_stalled({(TP, 2)}) == set()


async def test_a_task_whose_cancellation_was_lost_is_stopped_anyway() -> None:
    lost = asyncio.Event()

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if lost.is_set():
                    raise
                lost.set()  # the first cancellation is lost, as wait_for may lose one

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await stop_tasks([task])
    assert lost.is_set() and task.cancelled()
