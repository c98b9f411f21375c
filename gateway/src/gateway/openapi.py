"""``/openapi.json`` and ``/docs``: the services' specs merged under their prefixes, with the
OIDC security scheme; a service that does not answer is listed, not fatal."""

import asyncio
import copy
import json
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from gateway.config import Settings
from gateway.idp.accounts import WEB_CLIENT
from hdh_common.probes import Shared

router = APIRouter(include_in_schema=False)
SERVICE_OWN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
SCHEMA_REF = "#/components/schemas/"
SECURITY_SCHEME = "oidc"
SWAGGER_REDIRECT = "/docs/oauth2-redirect"


async def _service_spec(client: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
    try:
        response = await client.get(f"{url}/openapi.json")
        response.raise_for_status()
        spec = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return spec if isinstance(spec, dict) else None


def merge(
    gateway_spec: dict[str, Any], specs: dict[str, dict[str, Any] | None], *, discovery_url: str
) -> dict[str, Any]:
    merged = copy.deepcopy(gateway_spec)
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    for service, spec in specs.items():
        if spec is None:
            continue
        spec = _renamed(spec, service=service, existing=schemas)
        schemas.update(spec.get("components", {}).get("schemas", {}))
        for path, item in spec.get("paths", {}).items():
            if path not in SERVICE_OWN_PATHS:
                merged.setdefault("paths", {})[path] = item
        merged.setdefault("tags", []).extend(spec.get("tags", []))
    merged["components"]["securitySchemes"] = {
        SECURITY_SCHEME: {"type": "openIdConnect", "openIdConnectUrl": discovery_url}
    }
    merged["security"] = [{SECURITY_SCHEME: []}]
    unavailable = sorted(name for name, spec in specs.items() if spec is None)
    if unavailable:
        merged["info"]["x-unavailable-services"] = unavailable
    return merged


def _renamed(spec: dict[str, Any], *, service: str, existing: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with each schema clashing with a different one already merged prefixed by the
    service name, references included."""
    own = spec.get("components", {}).get("schemas", {})
    clashes = {
        name for name, schema in own.items() if name in existing and existing[name] != schema
    }
    if not clashes:
        return spec
    text = json.dumps(spec)
    for name in clashes:
        text = text.replace(f'"{SCHEMA_REF}{name}"', f'"{SCHEMA_REF}{service}_{name}"')
    renamed: dict[str, Any] = json.loads(text)
    schemas = renamed["components"]["schemas"]
    for name in clashes:
        schemas[f"{service}_{name}"] = schemas.pop(name)
    return renamed


async def aggregated(
    app: FastAPI, *, settings: Settings, client: httpx.AsyncClient
) -> dict[str, Any]:
    urls = settings.service_urls()
    fetched = await asyncio.gather(*(_service_spec(client, url) for url in urls.values()))
    return merge(
        app.openapi(), dict(zip(urls, fetched, strict=True)), discovery_url=settings.discovery_url()
    )


def cache(settings: Settings) -> Shared[bytes]:
    """The aggregated document, serialised, kept ``openapi_cache_seconds``; only as long as
    readiness when a service did not answer, so that its paths come back soon."""

    def ttl(body: bytes) -> float:
        complete = b'"x-unavailable-services"' not in body
        return settings.openapi_cache_seconds if complete else settings.readiness_cache_seconds

    return Shared(ttl=ttl)


@router.get("/openapi.json")
async def openapi_json(request: Request) -> Response:
    shared: Shared[bytes] = request.state.openapi

    async def build() -> bytes:
        spec = await aggregated(
            request.app, settings=request.state.settings, client=request.state.openapi_client
        )
        return json.dumps(spec, ensure_ascii=False, separators=(",", ":")).encode()

    return Response(await shared.get(build), media_type="application/json")


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Health Data Hub — API",
        oauth2_redirect_url=SWAGGER_REDIRECT,
        init_oauth={
            "clientId": WEB_CLIENT,
            "usePkceWithAuthorizationCodeGrant": True,
            "scopes": "openid profile",
        },
    )


@router.get(SWAGGER_REDIRECT)
async def docs_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
