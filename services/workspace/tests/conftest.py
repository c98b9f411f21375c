import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request

from access.grants.schemas import ReaderRights
from hdh_common.identity import InternalTokenVerifier, Role, public_key_pem
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, serve_http

from .support import AccessRights


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
    """The access service's live-rights endpoint, answering as ``refused`` says."""
    verifier = InternalTokenVerifier(
        token_public_key,
        issuer="hdh-gateway",
        audience="access",
        service_public_pem=public_key_pem(service_private_key),
    )
    rights = AccessRights()
    app = FastAPI()

    @app.get("/access/grants/{grant_id}/readers/{subject}")
    async def readers(grant_id: uuid.UUID, subject: str, request: Request) -> ReaderRights:
        caller = verifier.verify(request.headers["authorization"].removeprefix("Bearer "))
        assert caller.roles == {Role.SYSTEM} and caller.subject == "hdh-workspace"
        rights.asked.append((grant_id, subject))
        allowed = subject not in rights.refused
        reason = None if allowed else "The grant was revoked."
        return ReaderRights(
            grant_id=grant_id, project_id=None, subject=subject, allowed=allowed, reason=reason
        )

    async with serve_http(app) as url:
        rights.url = url
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
