"""Gateway to services over TLS: an ``https://`` service URL is verified against the configured
CA (never sent in clear), and a URL of another scheme is refused at start."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from pydantic import ValidationError

from gateway.config import Settings
from gateway.main import create_app
from hdh_dev.certificates import ServerCertificate, make_server_certificate
from hdh_dev.testing import running, serve_http


def upstream() -> FastAPI:
    app = FastAPI()

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/access/register")
    async def register(request: Request) -> dict[str, str]:
        return {"scheme": request.url.scheme}

    return app


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_server_certificate(tmp_path / "tls")


@pytest.fixture
async def https_url(certificate: ServerCertificate) -> AsyncIterator[str]:
    async with serve_http(upstream(), tls=certificate.pair) as url:
        yield url


def settings(url: str, tmp_path: Path, **more: object) -> Settings:
    urls = {f"{name}_url": url for name in ("catalog", "access", "linkage", "audit", "workspace")}
    return Settings(**urls, request_log_spool_dir=tmp_path / "spool", **more)  # type: ignore[arg-type]


async def test_a_service_over_https_is_reached_through_tls(
    https_url: str, certificate: ServerCertificate, tmp_path: Path
) -> None:
    assert https_url.startswith("https://")
    app = create_app(settings(https_url, tmp_path, upstream_ca_file=certificate.ca))
    async with running(app) as client:
        routed = await client.get("/access/register")
        ready = await client.get("/readyz")
    assert routed.status_code == 200, routed.text
    assert routed.json() == {"scheme": "https"}
    assert ready.json() == {
        "status": "ready",
        "services": dict.fromkeys(ready.json()["services"], "ready"),
    }


async def test_a_certificate_from_an_unknown_ca_is_refused(https_url: str, tmp_path: Path) -> None:
    stranger = make_server_certificate(tmp_path / "other", name="another CA")
    app = create_app(settings(https_url, tmp_path, upstream_ca_file=stranger.ca))
    async with running(app) as client:
        routed = await client.get("/access/register")
        ready = await client.get("/readyz")
    assert routed.status_code == 503
    assert routed.headers["content-type"] == "application/problem+json"
    assert routed.json()["service"] == "access"
    assert ready.json()["services"]["access"] == "unreachable"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:8001", "127.0.0.1:8001", "https://"])
def test_a_service_url_neither_http_nor_https_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValidationError, match="service URL"):
        Settings(access_url=url)


def test_a_missing_ca_file_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Settings(upstream_ca_file=tmp_path / "absent.pem").upstream_tls()
