"""Thin adapter over aiokafka: client factories and topic creation."""

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

logger = logging.getLogger(__name__)
DEFAULT_PARTITIONS = 3


def new_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    # Idempotence is off: the embedded broker does not implement InitProducerId. Duplicates
    # from retries are absorbed by the consumers' inbox, and aiokafka keeps one batch in
    # flight per partition, so one key's events stay in order.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5, request_timeout_ms=10_000
    )


def new_consumer(bootstrap_servers: str, *, group_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5_000,
        # Brokers hold a new group's first join for about half the session timeout.
        session_timeout_ms=6_000,
        heartbeat_interval_ms=2_000,
    )


async def ensure_topics(bootstrap_servers: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(t, num_partitions=DEFAULT_PARTITIONS, replication_factor=1)
                    for t in missing
                ]
            )
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


async def broker_reachable(bootstrap_servers: str, *, timeout: float = 1.0) -> bool:  # noqa: ASYNC109
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        except (OSError, ValueError, TimeoutError):
            continue
        writer.close()
        return True
    return False
