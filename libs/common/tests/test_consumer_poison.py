"""A payload a handler cannot validate is dead-lettered at once; other failures are retried
up to the subscription's attempts (pure logic: the broker and the database are stood in for)."""

from typing import Any

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from hdh_common.consumer import ConsumerMetrics, EventConsumer, PoisonMessage, Subscription


class Payload(BaseModel):
    grant_id: int


class Recorder(EventConsumer):
    def __init__(self, failure: Exception) -> None:
        self.subscription = Subscription(name="test", handler=self._never, max_attempts=3)
        self.metrics = ConsumerMetrics(CollectorRegistry())
        self.failure, self.attempts, self.dead = failure, 0, list[str]()

    async def _never(self, *args: Any) -> None:
        raise AssertionError

    async def _apply(self, record: ConsumerRecord[bytes, bytes]) -> None:
        self.attempts += 1
        raise self.failure

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        self.dead.append(error)


def validation_error() -> Exception:
    try:
        Payload.model_validate({"grant_id": "not a number"})
    except Exception as exc:
        return exc
    raise AssertionError


@pytest.mark.parametrize(
    ("failure", "attempts"),
    [(validation_error(), 1), (PoisonMessage("never"), 1), (RuntimeError("bug"), 3)],
)
async def test_bad_data_is_dead_lettered_at_once(failure: Exception, attempts: int) -> None:
    consumer = Recorder(failure)
    await consumer.handle(ConsumerRecord("t", 0, 7, 0, 0, None, b"{}", None, 0, 2, []))  # type: ignore[arg-type]
    assert consumer.attempts == attempts
    assert consumer.dead == [f"{type(failure).__name__}: {failure}"[:1000]]
    dead_lettered = consumer.metrics.dead_lettered.labels("test")._value.get()
    assert dead_lettered == 1
