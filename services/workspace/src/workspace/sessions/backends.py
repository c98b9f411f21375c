from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hdh_common.tracing import Tracing
from workspace.config import Settings
from workspace.sessions.credentials import CredentialIssuer
from workspace.sessions.hub import JupyterHub
from workspace.sessions.service import SessionBackends


@asynccontextmanager
async def open_backends(settings: Settings, tracing: Tracing) -> AsyncIterator[SessionBackends]:
    """The hub's client and the STS client, closed with the service."""
    scheme = "https" if settings.s3_secure else "http"
    hub = JupyterHub(
        url=settings.workspace_jupyterhub_url,
        token=settings.workspace_jupyterhub_token.get_secret_value(),
        timeout=settings.service_call_timeout * 5,
        tracing=tracing,
    )
    credentials = CredentialIssuer(
        endpoint=settings.workspace_sts_endpoint or f"{scheme}://{settings.s3_endpoint}",
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        region=settings.s3_region,
        role_arn=settings.workspace_session_role_arn,
        timeout=settings.service_call_timeout * 5,
        tracing=tracing,
    )
    try:
        yield SessionBackends(settings=settings, hub=hub, credentials=credentials)
    finally:
        await hub.aclose()
        await credentials.aclose()
