import base64
import logging
import os
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import pytest

from hdh_dev.processes import free_port
from hdh_dev.s3server import S3Server
from hdh_dev.testing import AccessRights, SettingsFactory, serve_access_rights
from linkage.pseudonyms.hmac import native_kernel

from .support import ACCESS_KEY, SECRET_KEY, Captured


@pytest.fixture(scope="session")
def kernel() -> ModuleType:
    """The C kernel, for tests comparing it with the Python path: they skip where it was not
    built, but fail in CI (``CI=true``), which must build it."""
    native = native_kernel()
    if native is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the C kernel of linkage.pseudonyms was not built")
        pytest.skip("the C kernel is not built here")
    return native


@pytest.fixture
def master_key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def captured_logs() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def s3_settings(s3_server: S3Server) -> dict[str, Any]:
    return {
        "storage_backend": "s3",
        "s3_endpoint": s3_server.endpoint,
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
    }


@pytest.fixture
def linkage_settings(make_settings: SettingsFactory, master_key_b64: str) -> SettingsFactory:
    """Linkage settings; with no broker unless ``broker=True`` (the consumers then idle)."""

    def make(*, broker: bool = False, **overrides: Any) -> Any:
        if not broker:
            overrides.setdefault("kafka_bootstrap_servers", f"127.0.0.1:{free_port()}")
        overrides.setdefault("linkage_master_key", master_key_b64)
        return make_settings("linkage", linkage_job_poll_interval=0.2, **overrides)

    return make


@pytest.fixture
async def access_rights(
    token_public_key: str, service_private_key: str
) -> AsyncIterator[AccessRights]:
    """The access service's live-rights endpoint, answering as ``refused`` says."""
    serving = serve_access_rights("hdh-linkage", token_public_key, service_private_key)
    async with serving as rights:
        yield rights
