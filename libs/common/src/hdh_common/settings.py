"""Every configuration variable of the platform, in one place.

Each service subclasses :class:`ServiceSettings`; the gateway has its own class in the same
spirit. All variables carry the ``HDH_`` prefix (``HDH_DATABASE_URL``, ...).
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hdh_common.hsm import HsmConfig, read_pin

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hdh"


class CommonSettings(BaseSettings):
    """What the gateway and every service read."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore")

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
        description="OTLP/HTTP endpoint receiving traces (e.g. `http://collector:4318`);"
        " empty: tracing off.",
    )


class ServiceSettings(CommonSettings):
    """What every service (catalog, access, linkage, audit, workspace) reads."""

    database_url: str = Field(
        DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the PostgreSQL database (asyncpg)."
    )
    database_pool_size: int = Field(5, description="Connections kept open per process.")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated Kafka bootstrap servers."
    )
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
