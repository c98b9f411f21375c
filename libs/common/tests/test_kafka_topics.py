"""Topic durability and producer idempotence come from the settings."""

import pytest
from pydantic import ValidationError

from hdh_common.kafka import ensure_topics, new_producer, new_topics
from hdh_common.settings import ServiceSettings
from hdh_dev.broker import TansuBroker


def test_topics_are_created_with_the_configured_replication() -> None:
    kafka = ServiceSettings(kafka_replication_factor=3, kafka_min_insync_replicas=2).kafka()
    (topic,) = new_topics(kafka, ["hdh.catalog"])
    assert topic.replication_factor == 3
    assert topic.topic_configs == {"min.insync.replicas": "2"}


def test_more_insync_replicas_than_replicas_is_refused() -> None:
    with pytest.raises(ValidationError, match="MIN_INSYNC"):
        ServiceSettings(kafka_replication_factor=1, kafka_min_insync_replicas=2)


async def test_the_embedded_broker_takes_the_default_topic_settings(
    own_broker: TansuBroker,
) -> None:
    """One broker: replication 1, ``min.insync.replicas`` 1, sent on creation."""
    await ensure_topics(
        ServiceSettings(kafka_bootstrap_servers=own_broker.bootstrap_servers).kafka(),
        ["hdh.topics-check"],
    )
    producer = new_producer(own_broker.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait("hdh.topics-check", b"x", key=b"k")
    finally:
        await producer.stop()


@pytest.mark.parametrize("idempotence", [True, False])
async def test_producers_are_idempotent_when_configured(idempotence: bool) -> None:
    producer = new_producer(ServiceSettings(kafka_idempotence=idempotence).kafka())
    assert (producer._txn_manager is not None) is idempotence
