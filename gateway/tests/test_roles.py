"""Acceptance 2 and 3 against the real catalogue: each demo account and the partner system
reach what their role allows through the gateway, 403 elsewhere; the service's own port
refuses every call that did not come through the gateway."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from catalog.main import create_app as create_catalog
from gateway.auth.roles import RoleMapper
from gateway.main import create_app
from hdh_common.identity import Role
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, bearer, serve_http

from .servers import Calls
from .stack import Stack, gateway_settings

ALLOWED_TO_REGISTER = {"paul", "sara"}
ACCOUNTS = ["alice", "bruno", "paul", "sara", "carl", "rita", "odile", "olga", "omar"]


@pytest.fixture
async def catalog_stack(
    make_settings: SettingsFactory, tmp_path: Path, token_private_key: str
) -> AsyncIterator[tuple[Stack, str]]:
    async with serve_http(create_catalog(make_settings("catalog"))) as catalog_url:
        port = free_port()
        settings = gateway_settings(
            port=port, tmp=tmp_path, private_key=token_private_key, catalog_url=catalog_url
        )
        async with (
            serve_http(create_app(settings), port=port) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield Stack(url=url, client=client, calls=Calls(), settings=settings), catalog_url


def dataset(organisation: str) -> dict[str, str]:
    slug = f"ds-{uuid.uuid4().hex[:12]}"
    return {"slug": slug, "title": slug, "description": "A dataset.", "publisher": organisation}


async def partner_token(stack: Stack) -> str:
    response = await stack.client.post(
        "/idp/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "partner-system",
            "client_secret": "partner-secret",
        },
    )
    return str(response.json()["access_token"])


async def test_each_role_reaches_what_it_may(catalog_stack: tuple[Stack, str]) -> None:
    stack, _ = catalog_stack
    organisations = {"paul": "aphp", "sara": "hdh"}
    for username in ACCOUNTS:
        headers = bearer(await stack.token(username))
        listed = await stack.client.get("/catalog/datasets", headers=headers)
        assert listed.status_code == 200, (username, listed.text)
        created = await stack.client.post(
            "/catalog/datasets",
            json=dataset(organisations.get(username, "aphp")),
            headers=headers,
        )
        expected = 201 if username in ALLOWED_TO_REGISTER else 403
        assert created.status_code == expected, (username, created.text)
    partner = bearer(await partner_token(stack))
    assert (await stack.client.get("/catalog/datasets", headers=partner)).status_code == 200
    refused = await stack.client.post("/catalog/datasets", json=dataset("aphp"), headers=partner)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_the_service_port_refuses_calls_that_bypass_the_gateway(
    catalog_stack: tuple[Stack, str],
) -> None:
    stack, catalog_url = catalog_stack
    user_token = await stack.token("sara")
    async with httpx.AsyncClient(base_url=catalog_url) as direct:
        for headers in (
            {},
            bearer(user_token),
            {"Authorization": "Bearer x", "X-Roles": "hub_staff", "X-User-Id": "sara"},
        ):
            response = await direct.get("/catalog/datasets", headers=headers)
            assert response.status_code == 401, response.text
            assert response.headers["content-type"] == "application/problem+json"
    through = await stack.client.get("/catalog/datasets", headers=bearer(user_token))
    assert through.status_code == 200
    spec = (await stack.client.get("/openapi.json")).json()
    assert "/catalog/datasets" in spec["paths"]


def test_no_provider_claim_or_mapping_yields_the_internal_service_role() -> None:
    mapper = RoleMapper(
        claim_paths=["realm_access.roles", "roles"],
        mapping={"admin": "system", "hdh-partner": "partner"},
        organisation_claim="organisation",
    )
    claims = {"realm_access": {"roles": ["system", "admin"]}, "roles": ["hdh-partner"]}
    assert mapper.roles(claims) == {Role.PARTNER}
