"""One wiring for `make up`, the fault tests and the test platform: each part's settings
accept what it gives them, as values or as environment variables."""

from pathlib import Path

import pytest

from gateway.config import Settings as GatewaySettings
from hdh_common.identity import generate_private_key_pem, public_key_pem
from hdh_dev.testing import service_settings
from hdh_dev.wiring import SERVICES, Wiring, as_env, platform_wiring


@pytest.fixture
def wiring(tmp_path: Path) -> Wiring:
    urls = {name: f"http://127.0.0.1:{8000 + n}" for n, name in enumerate(("gateway", *SERVICES))}
    return platform_wiring(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:5432/hdh",
        bootstrap_servers="127.0.0.1:9092",
        data_dir=tmp_path,
        private_key=generate_private_key_pem(),
        service_key=generate_private_key_pem(),
        urls=urls,
    )


def test_the_services_trust_the_gateway_s_key_and_ask_access_for_rights(wiring: Wiring) -> None:
    gateway = GatewaySettings(**wiring.gateway)
    private_key = gateway.internal_token_private_key.get_secret_value()
    for name in SERVICES:
        settings = service_settings(name, **wiring.services)
        assert settings.internal_token_public_key == public_key_pem(private_key)
        assert settings.access_url == gateway.access_url == "http://127.0.0.1:8002"
    assert gateway.dev_issuer and gateway.public_url == "http://127.0.0.1:8000"


def test_the_environment_gives_the_same_settings(
    wiring: Wiring, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (wiring.gateway_env() | wiring.service_env()).items():
        monkeypatch.setenv(name, value)
    assert GatewaySettings() == GatewaySettings(**wiring.gateway)
    assert service_settings("linkage") == service_settings("linkage", **wiring.services)


def test_as_env_spells_booleans_and_paths_as_settings_read_them() -> None:
    assert as_env({"dev_issuer": True, "storage_path": Path("/data")}) == {
        "HDH_DEV_ISSUER": "true",
        "HDH_STORAGE_PATH": "/data",
    }
