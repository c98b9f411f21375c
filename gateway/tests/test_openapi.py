"""The aggregated OpenAPI document and the docs page."""

import base64
import json
import re

from gateway.auth.internal import InternalTokenMinter
from gateway.config import Settings
from gateway.openapi import docs_policy, merge
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
    start = await stack.client.get("/docs/assets/start.js")
    assert start.headers["content-type"].startswith("text/javascript")
    assert '"usePkceWithAuthorizationCodeGrant": true' in start.text
    assert '"clientId": "hdh-web"' in start.text


async def test_the_docs_pages_load_nothing_from_elsewhere_and_run_no_inline_script(
    stack: Stack,
) -> None:
    for path in ("/docs", "/docs/oauth2-redirect"):
        page = await stack.client.get(path)
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(source.startswith("/docs/assets/") for source in sources)
        assert "<script>" not in page.text and "<style" not in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        assert "default-src 'none'" in policy and "unsafe" not in policy
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png", "oauth2-redirect.js"):
        asset = await stack.client.get(f"/docs/assets/{name}")
        assert asset.status_code == 200 and len(asset.content) > 1000, name
    bundle = await stack.client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text


async def test_an_unknown_docs_asset_is_a_problem(stack: Stack) -> None:
    for name in ("index.html", "..%2F..%2Fconfig.py", "swagger-ui.js"):
        response = await stack.client.get(f"/docs/assets/{name}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_the_docs_policy_lets_the_token_exchange_reach_an_external_provider() -> None:
    settings = Settings(
        public_url="https://hdh.example.org",
        oidc_issuer="https://login.example.org/realms/hdh",
        internal_token_private_key="x",
    )
    policy = docs_policy(settings)
    assert "connect-src 'self' https://hdh.example.org https://login.example.org;" in policy
    assert "script-src 'self';" in policy


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
