"""The partner role, operation by operation: every operation of the aggregated OpenAPI is
called with a partner system's token; only reads of the published catalogue and the
public routes answer, nothing a service does on the platform's behalf."""

import re
import uuid
from typing import Any

import httpx
import pytest

from hdh_dev.testing import Platform, bearer

# what a partner system may do: the gateway's probes and problem types, read the catalogue,
# the public routes, list its organisation's filed requests and webhooks, the audit's tree
# heads, checkpoints, hash tiles, keys and proofs (what any witness reads)
ALLOWED = re.compile(
    r"^GET (/(healthz|readyz|metrics|problems)|/catalog/|/access/(register|workflow)"
    r"|/access/(requests|webhooks)$|/audit/(tree-head|keys|proofs|checkpoint|tile/\{))"
)


@pytest.fixture(scope="module")
def platform_overrides() -> dict[str, Any]:
    return {"rate_limit_ip_rate": 0, "rate_limit_subject_rate": 0}


async def partner(client: httpx.AsyncClient) -> dict[str, str]:
    form = {"grant_type": "client_credentials"}
    response = await client.post("/idp/token", data=form, auth=("partner-system", "partner-secret"))
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), path))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if m.group() == "{seq}" else str(uuid.uuid4()), path)


async def test_a_partner_reaches_only_what_is_published(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        headers = await partner(client)
        spec = (await client.get("/openapi.json")).json()
        reached = []
        for method, path in operations(spec):
            if path.startswith("/idp"):
                continue
            response = await client.request(
                method, concrete(path), headers=headers, params={"project": str(uuid.uuid4())}
            )
            if response.status_code < 400 and not ALLOWED.match(f"{method} {path}"):
                reached.append(f"{method} {path}: {response.status_code}")
            assert response.status_code < 500, (method, path, response.text)
    assert reached == [], reached
    assert len(operations(spec)) > 60
