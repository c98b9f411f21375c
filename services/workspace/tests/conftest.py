from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hdh_dev.processes import free_port
from hdh_dev.testing import AccessRights, SettingsFactory, serve_access_rights


@pytest.fixture
def workspace_settings(make_settings: SettingsFactory) -> SettingsFactory:
    """Workspace settings; with no broker unless ``broker=True`` (the consumers then idle)."""

    def make(*, broker: bool = False, **overrides: Any) -> Any:
        if not broker:
            overrides.setdefault("kafka_bootstrap_servers", f"127.0.0.1:{free_port()}")
        return make_settings("workspace", **overrides)

    return make


@pytest.fixture
async def access_rights(
    token_public_key: str, service_private_key: str
) -> AsyncIterator[AccessRights]:
    async with serve_access_rights(
        "hdh-workspace", token_public_key, service_private_key
    ) as rights:
        yield rights


@pytest.fixture
def objects(tmp_path: Path) -> Path:
    """The root of the test's filesystem object store."""
    return tmp_path / "objects"


@pytest.fixture
def settings(
    workspace_settings: SettingsFactory, access_rights: AccessRights, tmp_path: Path
) -> Any:
    """Workspace settings asking ``access_rights`` for live rights."""
    return workspace_settings(
        access_url=access_rights.url,
        workspace_files_path=tmp_path / "files",
        workspace_query_seconds=20,
        workspace_output_max_bytes=2 * 1024 * 1024,
    )
