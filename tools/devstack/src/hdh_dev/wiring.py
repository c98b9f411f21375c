"""The settings that join the five services and the gateway into one platform, written once
for ``make up``, the fault tests (both as ``HDH_`` environment variables of processes) and
the in-process platform of the tests (as settings objects)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hdh_common.identity import public_key_pem

SERVICES = ("catalog", "access", "linkage", "audit", "workspace")


@dataclass(frozen=True)
class Wiring:
    """Settings values by field name: those of every service, and the gateway's."""

    services: dict[str, Any]
    gateway: dict[str, Any]

    def service_env(self) -> dict[str, str]:
        return as_env(self.services)

    def gateway_env(self) -> dict[str, str]:
        return as_env(self.gateway)


def platform_wiring(
    *,
    database_url: str,
    bootstrap_servers: str,
    data_dir: Path,
    private_key: str,
    service_key: str,
    urls: dict[str, str],
) -> Wiring:
    """``urls``: where each service and the gateway (``"gateway"``) answer; ``private_key``
    signs the gateway's internal tokens, ``service_key`` the services' own."""
    keys = data_dir / "keys"
    services = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap_servers,
        "environment": "dev",
        "storage_path": data_dir / "objects",
        "audit_signing_key_file": keys / "audit-signing.pem",
        "linkage_master_key_path": keys / "linkage-master.key",
        "internal_token_public_key": public_key_pem(private_key),
        "service_token_private_key": service_key,
        "access_url": urls["access"],
        "public_url": urls["gateway"],
    }
    gateway = {
        "kafka_bootstrap_servers": bootstrap_servers,
        "environment": "dev",
        "dev_issuer": True,
        "public_url": urls["gateway"],
        "dev_issuer_key_dir": keys / "idp",
        "request_log_spool_dir": data_dir / "gateway-spool",
        "internal_token_private_key": private_key,
    } | {f"{name}_url": urls[name] for name in SERVICES}
    return Wiring(services=services, gateway=gateway)


def as_env(values: dict[str, Any]) -> dict[str, str]:
    """Settings values as the ``HDH_`` environment variables that give them."""
    return {f"HDH_{name.upper()}": _env_value(value) for name, value in values.items()}


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
