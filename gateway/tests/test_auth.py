"""Acceptance 1: every refusal is 401 problem+json, and the service behind never sees it."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from hdh_dev.testing import bearer

from .stack import Stack

PROBLEM = "application/problem+json"
Headers = list[tuple[str, str]] | dict[str, str]


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def no_token(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", []


async def alg_none(stack: Stack) -> tuple[str, Headers]:
    kid = stack.keys.signing_key().kid
    claims = jwt.decode(stack.forge(), stack.keys.signing_key().key).claims
    return "/catalog/echo", bearer(f"{b64({'alg': 'none', 'kid': kid})}.{b64(claims)}.")


async def hs256_with_public_key(stack: Stack) -> tuple[str, Headers]:
    stored = stack.keys.signing_key()
    claims = jwt.decode(stack.forge(), stored.key).claims
    signing_input = f"{b64({'alg': 'HS256', 'kid': stored.kid, 'typ': 'JWT'})}.{b64(claims)}"
    secret = stored.key.as_pem(private=False)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return "/catalog/echo", bearer(f"{signing_input}.{signature}")


async def unknown_kid(stack: Stack) -> tuple[str, Headers]:
    other = RSAKey.generate_key(2048)
    return "/catalog/echo", bearer(stack.forge(key=other, header={"kid": "not-a-known-key"}))


async def other_key_known_kid(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer(stack.forge(key=RSAKey.generate_key(2048)))


async def jku_to_an_attacker_jwks(stack: Stack) -> tuple[str, Headers]:
    header = {
        "kid": "attacker",
        "jku": "http://127.0.0.1:1/jwks.json",
        "x5u": "http://127.0.0.1:1/c",
    }
    return "/catalog/echo", bearer(stack.forge(key=RSAKey.generate_key(2048), header=header))


async def x5c_embedded_key(stack: Stack) -> tuple[str, Headers]:
    other = RSAKey.generate_key(2048)
    header = {"x5c": [base64.b64encode(other.as_der(private=False)).decode()]}
    return "/catalog/echo", bearer(stack.forge(key=other, header=header))


async def refresh_token(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer(stack.forge(typ="Refresh"))


async def payload_altered(stack: Stack) -> tuple[str, Headers]:
    header, _, signature = (await stack.token("alice")).split(".")
    claims = jwt.decode(await stack.token("alice"), stack.keys.signing_key().key).claims
    forged = b64(claims | {"roles": ["hub_staff"], "realm_access": {"roles": ["hub_staff"]}})
    return "/catalog/echo", bearer(f"{header}.{forged}.{signature}")


async def expired(stack: Stack) -> tuple[str, Headers]:
    now = int(time.time())
    return "/catalog/echo", bearer(stack.forge(iat=now - 600, nbf=now - 600, exp=now - 120))


async def not_yet_valid(stack: Stack) -> tuple[str, Headers]:
    now = int(time.time())
    return "/catalog/echo", bearer(stack.forge(nbf=now + 600, exp=now + 900))


async def lifetime_too_long(stack: Stack) -> tuple[str, Headers]:
    now = int(time.time())
    return "/catalog/echo", bearer(stack.forge(exp=now + 3600 * 24))


async def wrong_issuer(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer(stack.forge(iss="https://evil.example/realms/hdh"))


async def wrong_audience(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer(stack.forge(aud=["account"]))


async def id_token(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer((await stack.tokens("alice"))["id_token"])


async def id_token_with_api_audience(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer(stack.forge(typ="ID", header={"typ": "JWT"}))


async def token_in_query(stack: Stack) -> tuple[str, Headers]:
    return f"/catalog/echo?access_token={await stack.token('alice')}", []


async def token_in_query_and_header(stack: Stack) -> tuple[str, Headers]:
    token = await stack.token("alice")
    return f"/catalog/echo?access_token={token}", bearer(token)


async def two_headers(stack: Stack) -> tuple[str, Headers]:
    token = await stack.token("alice")
    return "/catalog/echo", [*bearer(token).items(), *bearer(token).items()]


async def two_tokens_in_one_header(stack: Stack) -> tuple[str, Headers]:
    token = await stack.token("alice")
    return "/catalog/echo", bearer(f"{token} {token}")


async def garbage(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", bearer("not.a-token.at-all")


async def basic_scheme(stack: Stack) -> tuple[str, Headers]:
    return "/catalog/echo", [("Authorization", "Basic YWxpY2U6YWxpY2U=")]


REFUSALS: list[Callable[[Stack], Awaitable[tuple[str, Headers]]]] = [
    no_token,
    alg_none,
    hs256_with_public_key,
    unknown_kid,
    other_key_known_kid,
    jku_to_an_attacker_jwks,
    x5c_embedded_key,
    payload_altered,
    refresh_token,
    expired,
    not_yet_valid,
    lifetime_too_long,
    wrong_issuer,
    wrong_audience,
    id_token,
    id_token_with_api_audience,
    token_in_query,
    token_in_query_and_header,
    two_headers,
    two_tokens_in_one_header,
    garbage,
    basic_scheme,
]


async def test_a_valid_token_reaches_the_service(stack: Stack) -> None:
    response = await stack.client.get("/catalog/echo", headers=bearer(await stack.token("alice")))
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "alice"
    assert response.json()["roles"] == ["researcher"]
    assert response.json()["organisation"] == "inserm"
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert len(stack.calls) == 1


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: case.__name__)
async def test_refused_without_calling_the_service(
    stack: Stack, case: Callable[[Stack], Awaitable[tuple[str, Headers]]]
) -> None:
    path, headers = await case(stack)
    response = await stack.client.get(path, headers=httpx.Headers(headers))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/unauthorized"
    assert len(stack.calls) == 0


async def test_spoofed_identity_headers_change_nothing(stack: Stack) -> None:
    spoofed = [
        ("X-Roles", "hub_staff"),
        ("X-User-Id", "sara"),
        ("X-Forwarded-User", "sara"),
        ("X-Remote-User", "sara"),
    ]
    token = await stack.token("alice")
    response = await stack.client.get(
        "/catalog/echo", headers=httpx.Headers([*bearer(token).items(), *spoofed])
    )
    assert response.json()["roles"] == ["researcher"]
    assert response.json()["subject"] == "alice"
    received = stack.calls.headers[-1]
    assert not {"x-roles", "x-user-id", "x-forwarded-user", "x-remote-user"} & set(received)
    assert received["authorization"] != f"Bearer {token}"


async def test_the_internal_token_is_short_lived_and_for_the_service(stack: Stack) -> None:
    await stack.client.get("/catalog/echo", headers=bearer(await stack.token("alice")))
    internal = stack.calls.headers[-1]["authorization"].removeprefix("Bearer ")
    claims = json.loads(base64.urlsafe_b64decode(internal.split(".")[1] + "=="))
    assert claims["aud"] == "catalog"
    assert claims["exp"] - claims["iat"] <= 60
    assert claims["rid"] == stack.calls.headers[-1]["x-request-id"]
