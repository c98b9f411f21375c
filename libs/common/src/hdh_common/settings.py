"""Every configuration variable of the platform, in one place.

Each service subclasses :class:`ServiceSettings`; the gateway has its own class in the same
spirit. All variables carry the ``HDH_`` prefix (``HDH_DATABASE_URL``, ...).
"""

import ssl
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hdh_common.hsm import HsmConfig, read_pin
from hdh_common.kafka import KafkaConfig, SaslMechanism, SecurityProtocol
from hdh_common.tls import SslMode, database_tls

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hdh"


class CommonSettings(BaseSettings):
    """What the gateway and every service read."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore", validate_by_name=True)

    environment: Literal["dev", "production"] = Field(
        "production",
        description="`dev` turns on development conveniences (`make up` sets it).",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, description="Port the HTTP server listens on.")
    log_level: str = Field("INFO", description="Python log level of the JSON logs.")
    internal_token_issuer: str = Field(
        "hdh-gateway", description="`iss` of the internal tokens the gateway signs."
    )
    internal_token_public_key: str = Field(
        "", description="PEM public key (Ed25519) that verifies internal tokens."
    )
    otlp_endpoint: str = Field(
        "",
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "HDH_OTLP_ENDPOINT"),
        description="OTLP/HTTP endpoint receiving traces (e.g. `http://collector:4318`);"
        " empty: tracing off. The OpenTelemetry SDK reads the other standard variables"
        " (`OTEL_SERVICE_NAME`, default `hdh-<part>`; `OTEL_RESOURCE_ATTRIBUTES`,"
        " `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`...).",
    )


class KafkaSettings(BaseSettings):
    """How a part reaches the broker (the services and the gateway's request log)."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated Kafka bootstrap servers."
    )
    kafka_security_protocol: SecurityProtocol = Field(
        "PLAINTEXT",
        description="`PLAINTEXT`, `SSL` (TLS), `SASL_SSL` (TLS and SASL login) or"
        " `SASL_PLAINTEXT`.",
    )
    kafka_ca_file: Path | None = Field(
        None,
        description="PEM bundle of the CAs that sign the brokers' certificates (TLS); empty:"
        " the system's.",
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        "SCRAM-SHA-512", description="SASL mechanism: `SCRAM-SHA-512`, `SCRAM-SHA-256`, `PLAIN`."
    )
    kafka_sasl_username: str = Field("", description="SASL user name.")
    kafka_sasl_password: SecretStr = Field(SecretStr(""), description="SASL password.")
    kafka_replication_factor: int = Field(
        1,
        ge=1,
        description="Replicas of each topic the platform creates (3 on a 3-broker cluster).",
    )
    kafka_min_insync_replicas: int = Field(
        1,
        ge=1,
        description="`min.insync.replicas` of the topics the platform creates (2 on a 3-broker"
        " cluster): a write is acknowledged once that many replicas hold it.",
    )
    kafka_idempotence: bool = Field(
        False,
        description="Idempotent producers (the broker must implement `InitProducerId`; the"
        " embedded Tansu does not).",
    )

    @model_validator(mode="after")
    def _replicas(self) -> Self:
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError("HDH_KAFKA_MIN_INSYNC_REPLICAS exceeds HDH_KAFKA_REPLICATION_FACTOR")
        return self

    def kafka(self) -> KafkaConfig:
        return KafkaConfig(
            bootstrap_servers=self.kafka_bootstrap_servers,
            security_protocol=self.kafka_security_protocol,
            ca_file=self.kafka_ca_file,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password.get_secret_value(),
            replication_factor=self.kafka_replication_factor,
            min_insync_replicas=self.kafka_min_insync_replicas,
            idempotence=self.kafka_idempotence,
        )


class DatabaseTlsSettings(BaseSettings):
    """How a part's connections to PostgreSQL are encrypted (the services and migrations)."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore")

    database_ssl_mode: SslMode = Field(
        "disable",
        description="TLS to PostgreSQL: `disable`, `require` (encrypted, server not verified),"
        " `verify-ca` or `verify-full` (certificate and host name checked against"
        " `HDH_DATABASE_CA_FILE`).",
    )
    database_ca_file: Path | None = Field(
        None,
        description="PEM bundle of the CAs that sign PostgreSQL's certificate; empty: the"
        " system's.",
    )

    def database_tls(self) -> ssl.SSLContext | None:
        return database_tls(self.database_ssl_mode, ca_file=self.database_ca_file)


class ServiceSettings(CommonSettings, KafkaSettings, DatabaseTlsSettings):
    """What every service (catalog, access, linkage, audit, workspace) reads."""

    database_url: str = Field(
        DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the PostgreSQL database (asyncpg)."
    )
    database_pool_size: int = Field(5, description="Connections kept open per process.")
    readiness_cache_seconds: float = Field(
        2.0,
        ge=0,
        description="Seconds a `/readyz` result is reused; concurrent probes share one "
        "round of checks.",
    )
    outbox_poll_interval: float = Field(
        0.5, description="Seconds between outbox scans when no write nudged the relay."
    )
    storage_backend: Literal["filesystem", "s3"] = Field(
        "filesystem", description="Object store: local `filesystem` or an `s3` API (MinIO)."
    )
    storage_path: Path = Field(
        Path(".hdh/objects"), description="Root folder of the filesystem object store."
    )
    s3_endpoint: str = Field("127.0.0.1:9000", description="S3 API host:port.")
    s3_access_key: str = Field("", description="S3 access key.")
    s3_secret_key: SecretStr = Field(SecretStr(""), description="S3 secret key.")
    s3_secure: bool = Field(False, description="Use HTTPS for the S3 API.")
    s3_region: str = Field("us-east-1", description="S3 region.")
    work_dir: Path | None = Field(
        None,
        description="Folder of the scratch files (uploads being validated, linkage jobs,"
        " extracts: Parquet as large as the data); empty: the system's temporary folder.",
    )
    service_token_private_key: SecretStr = Field(
        SecretStr(""),
        description="PEM private key (Ed25519) of the internal service identity: services sign"
        " the calls they make to each other with it and verify them with its public half."
        " Services only, never the gateway; empty: no service-to-service call, and what needs"
        " one is refused.",
    )
    access_url: str = Field(
        "http://127.0.0.1:8002",
        description="Base URL of the access service, which other services ask for live rights.",
    )
    service_call_timeout: float = Field(
        2.0, gt=0, description="Seconds to wait for another service's answer before refusing."
    )


class EngineSettings(BaseSettings):
    """Where a service runs its heavy work: in its own process or on Spark (linkage jobs,
    project-space queries)."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore")

    engine: Literal["embedded", "spark"] = Field(
        "embedded",
        description="Engine of linkage's jobs (pseudonymisation, extracts, linkages) and of the"
        " workspace's aggregate queries: `embedded` (the service's own threads, DuckDB for"
        " queries) or `spark` (Spark on `HDH_SPARK_MASTER`, the `spark` extra installed); the"
        " same results, a job's report says which ran.",
    )
    spark_master: str = Field(
        "local[*]",
        description="Spark master when `HDH_ENGINE=spark`: `local[N]`/`local[*]` (this process),"
        " `spark://host:port` (standalone) or `k8s://https://host:port` (Kubernetes). A"
        " cluster's executors read and write the service's local files (`HDH_WORK_DIR`,"
        " `HDH_WORKSPACE_FILES_PATH`): they must then be a volume the executors mount at the"
        " same path; S3A is set from the `HDH_S3_*` settings.",
    )


class HsmSettings(BaseSettings):
    """The PKCS#11 module and token of the services that keep keys in an HSM."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore")

    hsm_module: Path | None = Field(
        None,
        description="Path of the PKCS#11 library of the HSM (e.g. SoftHSM2's"
        " `libsofthsm2.so`); empty: keys come from their files or variables.",
    )
    hsm_token_label: str = Field("", description="Label of the HSM token holding the keys.")
    hsm_slot: int | None = Field(
        None, description="Slot id of the HSM token, used instead of its label when set."
    )
    hsm_pin: SecretStr = Field(
        SecretStr(""),
        description="User PIN of the HSM token; when empty, read from `HDH_HSM_PIN_FILE`.",
    )
    hsm_pin_file: Path | None = Field(
        None, description="File holding the HSM token's user PIN (e.g. a mounted secret)."
    )

    def hsm_config(self) -> HsmConfig | None:
        """The HSM to open, or None when keys stay in files."""
        if self.hsm_module is None:
            return None
        return HsmConfig(
            module=self.hsm_module,
            pin=read_pin(self.hsm_pin, self.hsm_pin_file),
            token_label=self.hsm_token_label,
            slot=self.hsm_slot,
        )
