"""The aggregated OpenAPI document and the docs page."""

import base64
import json

from gateway.auth.internal import InternalTokenMinter
from gateway.openapi import merge
from hdh_common.identity import InternalTokenSigner, InternalTokenVerifier, Principal, Role
from hdh_dev.testing import TOKEN_ISSUER

from .stack import Stack


async def test_the_services_specs_are_merged_with_the_oidc_scheme(stack: Stack) -> None:
    spec = (await stack.client.get("/openapi.json")).json()
    assert "/catalog/echo" in spec["paths"]
    assert "/healthz" in spec["paths"]
    assert "/idp/token" in spec["paths"]
    assert spec["components"]["securitySchemes"]["oidc"] == {
        "type": "openIdConnect",
        "openIdConnectUrl": f"{stack.url}/idp/.well-known/openid-configuration",
    }
    assert spec["security"] == [{"oidc": []}]
    assert spec["info"]["x-unavailable-services"] == ["access", "audit", "linkage", "workspace"]


async def test_docs_log_in_with_pkce(stack: Stack) -> None:
    page = await stack.client.get("/docs")
    assert page.status_code == 200
    assert "usePkceWithAuthorizationCodeGrant" in page.text
    assert "hdh-web" in page.text


def test_clashing_schemas_are_prefixed_by_service() -> None:
    ref = {"$ref": "#/components/schemas/Item"}
    catalog = {
        "paths": {"/catalog/items": {"get": {"responses": {"200": {"content": ref}}}}},
        "components": {"schemas": {"Item": {"type": "object", "title": "catalog item"}}},
    }
    access = {
        "paths": {"/access/items": {"get": {"responses": {"200": {"content": ref}}}}},
        "components": {"schemas": {"Item": {"type": "object", "title": "access item"}}},
    }
    gateway = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    merged = merge(gateway, {"catalog": catalog, "access": access}, discovery_url="http://i")
    schemas = merged["components"]["schemas"]
    assert schemas["Item"]["title"] == "catalog item"
    assert schemas["access_Item"]["title"] == "access item"
    access_ref = merged["paths"]["/access/items"]["get"]["responses"]["200"]["content"]
    assert access_ref == {"$ref": "#/components/schemas/access_Item"}


def test_the_minted_internal_token_is_what_services_verify(
    token_private_key: str, token_public_key: str
) -> None:
    minter = InternalTokenMinter(token_private_key, issuer=TOKEN_ISSUER, ttl_seconds=30)
    principal = Principal(
        subject="paul", roles=frozenset({Role.PRODUCER}), organisation="aphp", request_id="r1"
    )
    token = minter.sign(principal, audience="catalog")
    verified = InternalTokenVerifier(token_public_key, issuer=TOKEN_ISSUER, audience="catalog")
    assert verified.verify(token) == principal


def test_the_gateway_and_the_services_sign_the_same_token(token_private_key: str) -> None:
    principal = Principal(subject="paul", roles=frozenset({Role.PRODUCER, Role.RESEARCHER}))
    minter = InternalTokenMinter(token_private_key, issuer=TOKEN_ISSUER, ttl_seconds=30)
    signer = InternalTokenSigner(token_private_key, issuer=TOKEN_ISSUER, ttl_seconds=30)
    minted = minter.sign(principal, audience="access", now=1_000.0)
    signed = signer.sign(principal, audience="access", now=1_000.0)
    assert claims(minted) == claims(signed)
    assert claims(minted)["exp"] == 1_030 and claims(minted)["roles"] == ["producer", "researcher"]


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


async def test_problem_types_are_described(stack: Stack) -> None:
    described = await stack.client.get("/problems/bad-gateway")
    assert described.json() == {
        "type": "/problems/bad-gateway",
        "title": "Service unreachable",
        "status": 502,
    }
    assert (await stack.client.get("/problems/request-log-unavailable")).json()["status"] == 503
    assert (await stack.client.get("/problems/nope")).status_code == 404
