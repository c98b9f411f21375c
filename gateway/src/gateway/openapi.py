"""``/openapi.json`` and ``/docs``: the services' specs merged under their prefixes, with the
OIDC security scheme; a service that does not answer is listed, not fatal.

The docs page needs nothing beyond the platform: Swagger UI's script and styles come from a
pinned package (``fastapi-offline`` ships them) under ``/docs/assets/``, its start-up and
OAuth2 redirect scripts are files too, so that a Content Security Policy allows scripts,
styles and images from the platform's own origin only (and connections to the OIDC
provider's, for the token exchange of the code + PKCE login)."""

import asyncio
import copy
import json
import re
from functools import cache as memoized
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from gateway.config import Settings
from gateway.idp.accounts import WEB_CLIENT
from hdh_common.errors import NotFound
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


ASSETS = "/docs/assets"
# Swagger UI's files in the pinned package, by the name the page asks for.
ASSET_FILES = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": ("swagger-ui.css", "text/css"),
    "favicon.png": ("favicon.png", "image/png"),
}
ASSET_CACHE = "public, max-age=86400"
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Health Data Hub — API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/start.js"></script>
</body>
</html>
"""
REDIRECT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Health Data Hub — login</title></head>
<body><script src="{assets}/oauth2-redirect.js"></script></body>
</html>
"""


def docs_policy(settings: Settings) -> str:
    """Scripts, styles, images and fonts from the platform only; connections to it and to the
    OIDC provider (discovery document, token endpoint); no framing, no plugin, no base."""
    origins = {_origin(settings.public_url), _origin(settings.issuer())}
    connect = " ".join(["'self'", *sorted(o for o in origins if o)])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src {connect}; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _page(body: str, settings: Settings) -> HTMLResponse:
    return HTMLResponse(body, headers={"content-security-policy": docs_policy(settings)})


@memoized
def _asset(name: str) -> bytes:
    return (resources.files("fastapi_offline") / "static" / name).read_bytes()


def start_script() -> str:
    config = {
        "url": "/openapi.json",
        "dom_id": "#swagger-ui",
        "layout": "BaseLayout",
        "deepLinking": True,
        "showExtensions": True,
        "showCommonExtensions": True,
    }
    oauth = {
        "clientId": WEB_CLIENT,
        "usePkceWithAuthorizationCodeGrant": True,
        "scopes": "openid profile",
    }
    return (
        f"const config = {json.dumps(config)};\n"
        f'config.oauth2RedirectUrl = window.location.origin + "{SWAGGER_REDIRECT}";\n'
        "config.presets = [SwaggerUIBundle.presets.apis, "
        "SwaggerUIBundle.SwaggerUIStandalonePreset];\n"
        "window.ui = SwaggerUIBundle(config);\n"
        f"window.ui.initOAuth({json.dumps(oauth)});\n"
    )


@memoized
def redirect_script() -> str:
    """FastAPI's OAuth2 redirect script, out of its inline ``<script>`` element."""
    html = bytes(get_swagger_ui_oauth2_redirect_html().body).decode()
    found = re.search(r"<script>(.*)</script>", html, re.DOTALL)
    if found is None:
        raise RuntimeError("FastAPI's OAuth2 redirect page holds no script")
    return found.group(1).strip() + "\n"


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    return _page(DOCS_PAGE.format(assets=ASSETS), request.state.settings)


@router.get(SWAGGER_REDIRECT)
async def docs_redirect(request: Request) -> HTMLResponse:
    return _page(REDIRECT_PAGE.format(assets=ASSETS), request.state.settings)


@router.get(f"{ASSETS}/{{name}}")
async def docs_asset(name: str) -> Response:
    if name == "start.js":
        body, media_type = start_script().encode(), "text/javascript"
    elif name == "oauth2-redirect.js":
        body, media_type = redirect_script().encode(), "text/javascript"
    elif name in ASSET_FILES:
        file, media_type = ASSET_FILES[name]
        body = _asset(file)
    else:
        raise NotFound(f"No asset {name!r} on the docs page.")
    return Response(body, media_type=media_type, headers={"cache-control": ASSET_CACHE})
