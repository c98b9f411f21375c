"""Thin adapter over aiokafka: how to reach the broker (:class:`KafkaConfig`: TLS, SASL/SCRAM,
topic durability, idempotence), client factories and topic creation.

Every factory takes a ``KafkaConfig`` or, for a plain local broker, its bootstrap servers.
"""

import asyncio
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

logger = logging.getLogger(__name__)
DEFAULT_PARTITIONS = 3
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]


@dataclass(frozen=True, kw_only=True)
class KafkaConfig:
    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    ca_file: Path | None = None
    """CAs the broker's certificate is verified against (TLS); None: the system's."""
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    replication_factor: int = 1
    min_insync_replicas: int = 1
    idempotence: bool = False
    """Off for brokers without ``InitProducerId`` (the embedded Tansu): duplicates from retries
    are then absorbed by the consumers' inbox, and aiokafka keeps one batch in flight per
    partition, so one key's events stay in order."""

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifies the broker's certificate and host name (a missing CA file fails here)."""
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def client_options(self) -> dict[str, Any]:
        """The connection arguments every aiokafka client (producer, consumer, admin) takes."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        return options

    def topic_configs(self) -> dict[str, str]:
        return {"min.insync.replicas": str(self.min_insync_replicas)}


Kafka = KafkaConfig | str
"""A broker: its full configuration, or the bootstrap servers of a plain local one."""


def kafka_config(kafka: Kafka) -> KafkaConfig:
    return kafka if isinstance(kafka, KafkaConfig) else KafkaConfig(bootstrap_servers=kafka)


def new_producer(kafka: Kafka) -> AIOKafkaProducer:
    config = kafka_config(kafka)
    return AIOKafkaProducer(
        **config.client_options(),
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        enable_idempotence=config.idempotence,
    )


def new_consumer(kafka: Kafka, *, group_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **kafka_config(kafka).client_options(),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5_000,
        # Brokers hold a new group's first join for about half the session timeout.
        session_timeout_ms=6_000,
        heartbeat_interval_ms=2_000,
    )


def new_topics(config: KafkaConfig, names: list[str]) -> list[NewTopic]:
    return [
        NewTopic(
            name,
            num_partitions=DEFAULT_PARTITIONS,
            replication_factor=config.replication_factor,
            topic_configs=config.topic_configs(),
        )
        for name in names
    ]


async def ensure_topics(kafka: Kafka, topics: list[str]) -> None:
    """Creates those of ``topics`` missing, replicated and with ``min.insync.replicas`` as
    configured."""
    config = kafka_config(kafka)
    admin = AIOKafkaAdminClient(**config.client_options(), request_timeout_ms=5_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await admin.create_topics(new_topics(config, missing))
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


async def broker_reachable(kafka: Kafka, *, timeout: float = 1.0) -> bool:  # noqa: ASYNC109
    for server in kafka_config(kafka).bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        except (OSError, ValueError, TimeoutError):
            continue
        writer.close()
        return True
    return False
