"""Encrypted links to PostgreSQL and the broker, verified against a CA the test makes.

Neither the machine's PostgreSQL nor the embedded Tansu speaks TLS here (Tansu 0.6's
``--cert``/``--key`` flags cannot be given together), so a relay terminates TLS in front of
each, as a TLS server would: PostgreSQL's ``SSLRequest`` negotiation, then the handshake; the
broker's TLS from the first byte. What is tested is the client side the platform configures:
encryption, certificate chain, host name, SASL options.
"""

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hdh_common.db import create_engine
from hdh_common.kafka import KafkaConfig, ensure_topics, new_consumer, new_producer
from hdh_common.settings import ServiceSettings
from hdh_dev.broker import TansuBroker, start_tansu
from hdh_dev.certificates import ServerCertificate, make_server_certificate
from hdh_dev.processes import free_port
from hdh_dev.tcpproxy import TcpProxy


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_server_certificate(tmp_path / "tls")


@pytest.fixture
async def tls_postgres(
    database_url: str, certificate: ServerCertificate
) -> AsyncIterator[tuple[str, TcpProxy]]:
    """The test database's URL through a TLS-terminating relay."""
    url = make_url(database_url)
    relay = TcpProxy(
        port=free_port(),
        target_port=url.port or 5432,
        tls=certificate.server_context(),
        postgres=True,
    )
    await relay.start()
    try:
        yield url.set(host="127.0.0.1", port=relay.port).render_as_string(False), relay
    finally:
        await relay.cut()


async def select_one(url: str, settings: ServiceSettings) -> int:
    engine = create_engine(url, schema="public", tls=settings.database_tls())
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(sa.text("SELECT 1")) or 0)
    finally:
        await engine.dispose()


async def test_postgres_verify_full_with_the_ca(
    tls_postgres: tuple[str, TcpProxy], certificate: ServerCertificate
) -> None:
    url, _ = tls_postgres
    settings = ServiceSettings(database_ssl_mode="verify-full", database_ca_file=certificate.ca)
    assert await select_one(url, settings) == 1


async def test_postgres_verify_full_refuses_a_certificate_of_another_ca(
    tls_postgres: tuple[str, TcpProxy], tmp_path: Path
) -> None:
    url, _ = tls_postgres
    other = make_server_certificate(tmp_path / "other", name="another CA")
    settings = ServiceSettings(database_ssl_mode="verify-full", database_ca_file=other.ca)
    with pytest.raises(ssl.SSLCertVerificationError):
        await select_one(url, settings)


async def test_postgres_verify_full_checks_the_host_name_verify_ca_does_not(
    database_url: str, tmp_path: Path
) -> None:
    elsewhere = make_server_certificate(tmp_path / "db", hosts=["db.example"])
    relay = TcpProxy(
        port=free_port(),
        target_port=make_url(database_url).port or 5432,
        tls=elsewhere.server_context(),
        postgres=True,
    )
    await relay.start()
    url = make_url(database_url).set(host="127.0.0.1", port=relay.port).render_as_string(False)
    try:
        full = ServiceSettings(database_ssl_mode="verify-full", database_ca_file=elsewhere.ca)
        with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
            await select_one(url, full)
        ca_only = ServiceSettings(database_ssl_mode="verify-ca", database_ca_file=elsewhere.ca)
        assert await select_one(url, ca_only) == 1
    finally:
        await relay.cut()


def test_postgres_tls_modes() -> None:
    assert ServiceSettings().database_tls() is None
    required = ServiceSettings(database_ssl_mode="require").database_tls()
    assert required is not None and required.verify_mode == ssl.CERT_NONE
    full = ServiceSettings(database_ssl_mode="verify-full").database_tls()
    assert full is not None and full.verify_mode == ssl.CERT_REQUIRED and full.check_hostname


@pytest.fixture
def tls_port() -> int:
    return free_port()


@pytest.fixture
def broker_behind_tls(tls_port: int) -> Iterator[TansuBroker]:
    broker = start_tansu(advertised_port=tls_port)
    yield broker
    broker.stop()


async def test_broker_over_tls_produces_and_consumes(
    broker_behind_tls: TansuBroker, tls_port: int, certificate: ServerCertificate
) -> None:
    """A relay that speaks TLS only, in front of a broker that advertises the relay."""
    relay = TcpProxy(
        port=tls_port, target_port=broker_behind_tls.port, tls=certificate.server_context()
    )
    await relay.start()
    settings = ServiceSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{relay.port}",
        kafka_security_protocol="SSL",
        kafka_ca_file=certificate.ca,
    )
    kafka = settings.kafka()
    try:
        await asyncio.wait_for(ensure_topics(kafka, ["tls.check"]), 20)
        producer = new_producer(kafka)
        await producer.start()
        try:
            await producer.send_and_wait("tls.check", b"over tls", key=b"k")
        finally:
            await producer.stop()
        consumer = new_consumer(kafka, group_id="tls-check")
        consumer.subscribe(["tls.check"])
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), 20)
        finally:
            await consumer.stop()
        assert record.value == b"over tls"
        plain = KafkaConfig(bootstrap_servers=kafka.bootstrap_servers)
        with pytest.raises(Exception):  # noqa: B017 (aiokafka's errors vary by stage)
            await asyncio.wait_for(ensure_topics(plain, ["tls.plain"]), 10)
    finally:
        await relay.cut()


async def test_broker_sasl_scram_options() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="hdh-catalog",
        kafka_sasl_password="s3cret",
    )
    options = settings.kafka().client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "hdh-catalog",
        "s3cret",
    )
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "s3cret" not in repr(settings.kafka())
    producer = new_producer(settings.kafka())
    assert producer.client._sasl_mechanism == "SCRAM-SHA-512"
    assert producer.client._security_protocol == "SASL_SSL"
