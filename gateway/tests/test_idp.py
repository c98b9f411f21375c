"""The dev issuer over HTTP: grants, PKCE, key rotation seen by the gateway without a restart."""

import asyncio
import base64
import hashlib
import os
import re
import sys
import uuid
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey
from pydantic import ValidationError

from gateway.config import Settings
from gateway.main import create_app
from hdh_dev.testing import bearer, eventually, running

from .stack import Stack, StackFactory


async def test_discovery_and_jwks(stack: Stack) -> None:
    discovery = (await stack.client.get("/idp/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == f"{stack.url}/idp"
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    jwks = (await stack.client.get(discovery["jwks_uri"])).json()
    assert jwks["keys"] and all("d" not in key for key in jwks["keys"])


async def test_client_credentials_for_a_partner_system(stack: Stack) -> None:
    response = await stack.client.post(
        "/idp/token",
        data={"grant_type": "client_credentials"},
        auth=("partner-system", "partner-secret"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()["access_token"]
    echoed = (await stack.client.get("/catalog/echo", headers=bearer(token))).json()
    assert echoed["subject"] == "partner-system"
    assert echoed["roles"] == ["partner"]  # never an internal service identity


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {
                "grant_type": "client_credentials",
                "client_id": "partner-system",
                "client_secret": "x",
            },
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials", "client_id": "hdh-web"}, 400, "unauthorized_client"),
        (
            {
                "grant_type": "password",
                "client_id": "hdh-web",
                "username": "alice",
                "password": "bruno",
            },
            400,
            "invalid_grant",
        ),
        (
            {
                "grant_type": "password",
                "client_id": "nobody",
                "username": "alice",
                "password": "alice",
            },
            401,
            "invalid_client",
        ),
        ({"grant_type": "implicit", "client_id": "hdh-web"}, 400, "unsupported_grant_type"),
    ],
)
async def test_token_endpoint_refusals(
    stack: Stack, form: dict[str, str], status: int, error: str
) -> None:
    response = await stack.client.post("/idp/token", data=form)
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_authorization_code_with_pkce(stack: Stack) -> None:
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    redirect = f"{stack.url}/docs/oauth2-redirect"
    params = {
        "client_id": "hdh-web",
        "response_type": "code",
        "redirect_uri": redirect,
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = await stack.client.get("/idp/authorize", params=params)
    assert page.status_code == 200 and "<form" in page.text
    login = await stack.client.post(
        "/idp/authorize", data=params | {"username": "odile", "password": "odile"}
    )
    assert login.status_code == 303
    location = login.headers["location"]
    assert location.startswith(redirect) and "state=s1" in location
    code = re.search(r"code=([^&]+)", location).group(1)  # type: ignore[union-attr]
    exchange = {
        "grant_type": "authorization_code",
        "client_id": "hdh-web",
        "code": code,
        "redirect_uri": redirect,
    }
    wrong = await stack.client.post("/idp/token", data=exchange | {"code_verifier": "x" * 43})
    assert wrong.json()["error"] == "invalid_grant"
    login = await stack.client.post(
        "/idp/authorize", data=params | {"username": "odile", "password": "odile"}
    )
    code = re.search(r"code=([^&]+)", login.headers["location"]).group(1)  # type: ignore[union-attr]
    tokens = await stack.client.post(
        "/idp/token", data=exchange | {"code": code, "code_verifier": verifier}
    )
    assert tokens.status_code == 200, tokens.text
    echoed = (
        await stack.client.get("/catalog/echo", headers=bearer(tokens.json()["access_token"]))
    ).json()
    assert echoed["roles"] == ["auditor"]
    again = await stack.client.post(
        "/idp/token", data=exchange | {"code": code, "code_verifier": verifier}
    )
    assert again.status_code == 400


@pytest.mark.parametrize(
    "redirect",
    [
        "https://evil.example/cb",
        "http://localhost:@evil.example/cb",
        "http://127.0.0.1:80@evil.example/cb",
        "http://localhost:8000/anything",
        "{gateway}/docs/oauth2-redirect/../../idp/jwks",
        "{gateway}@evil.example/docs/oauth2-redirect",
        "{gateway}/docs/oauth2-redirect?next=https://evil.example",
    ],
)
async def test_unregistered_redirect_is_refused(stack: Stack, redirect: str) -> None:
    params = {
        "client_id": "hdh-web",
        "redirect_uri": redirect.format(gateway=stack.url),
        "code_challenge": "c",
        "code_challenge_method": "S256",
    }
    page = await stack.client.get("/idp/authorize", params=params)
    login = await stack.client.post(
        "/idp/authorize", data=params | {"username": "odile", "password": "odile"}
    )
    assert (page.status_code, login.status_code) == (400, 400)


def test_the_dev_issuer_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="refused"):
        Settings(environment="production", dev_issuer=True)


async def test_no_dev_issuer_unless_turned_on(tmp_path: Path) -> None:
    async with running(create_app(Settings(request_log_spool_dir=tmp_path))) as client:
        assert (await client.get("/idp/.well-known/openid-configuration")).status_code == 404


def metric(text: str, name: str, **labels: str) -> float:
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(f"{name}{{{selector}}}" if labels else name) + r" ([0-9.e+]+)"
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


async def jwks_served(stack: Stack) -> float:
    text = (await stack.client.get("/metrics")).text
    return metric(text, "http_requests_total", method="GET", route="/idp/jwks", status="200")


async def test_rotation_is_picked_up_and_a_kid_flood_fetches_once_per_interval(
    make_stack: StackFactory,
) -> None:
    async with make_stack(
        jwks_min_refresh_interval=1.5,
    ) as stack:
        old = await stack.token("alice")
        assert (await stack.client.get("/catalog/echo", headers=bearer(old))).status_code == 200
        env = os.environ | {"HDH_DEV_ISSUER_KEY_DIR": str(stack.settings.dev_issuer_key_dir)}
        rotate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway.idp", "rotate", env=env, stdout=asyncio.subprocess.PIPE
        )
        stdout, _ = await rotate.communicate()
        assert rotate.returncode == 0
        assert "new signing key" in stdout.decode()

        async def new_key_signs_and_is_accepted() -> bool:
            new = await stack.token("alice")
            if new.split(".")[0] == old.split(".")[0]:
                return False
            echoed = await stack.client.get("/catalog/echo", headers=bearer(new))
            return echoed.status_code == 200

        await eventually(new_key_signs_and_is_accepted, within=10)
        assert (await stack.client.get("/catalog/echo", headers=bearer(old))).status_code == 200

        before = await jwks_served(stack)
        other = RSAKey.generate_key(2048)
        flood = [stack.forge(key=other, header={"kid": uuid.uuid4().hex}) for _ in range(200)]
        started = asyncio.get_running_loop().time()
        statuses = await asyncio.gather(
            *(stack.client.get("/catalog/echo", headers=bearer(t)) for t in flood)
        )
        elapsed = asyncio.get_running_loop().time() - started
        assert {r.status_code for r in statuses} == {401}
        fetches = await jwks_served(stack) - before
        assert fetches <= 1 + int(elapsed / 1.5)
        assert len(stack.calls) == 3
