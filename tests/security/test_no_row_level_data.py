"""No row-level data leaves the platform: every operation of the aggregated OpenAPI is
called through the gateway with the token of a researcher who is a member of a project
holding a live grant and a completed extract, its path and query parameters filled with the
real ids of that project (a random uuid where none applies). Reads go first, then every
write with an empty JSON body. No answer carries a row of the project's table: no Parquet
body, and none of the extract's project pseudonyms (read here as the workspace service
reads them, the one identity that may)."""

import asyncio
import io
import uuid
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from hdh_common.identity import SERVICE_TOKEN_ISSUER, InternalTokenSigner, service_principal
from hdh_dev.demo import ROW_LEVEL_REFUSED, TABLE, Journey
from hdh_dev.testing import Platform, bearer

PARQUET = b"PAR1"
PSEUDONYM = "BEN_NIR_PSA"
METHODS = ("get", "post", "put", "patch", "delete")
SYNTHETIC = {"GET /catalog/datasets/{dataset_id}/tables/{name}/sample"}
"""Parquet that is no one's rows: generated from the published schema and a seed."""
NOT_WALKED = {
    "POST /idp/token": "the dev issuer's login, which the walk's own token came from",
    "POST /idp/authorize": "the dev issuer's login form (username and password)",
}
ANSWERED = {
    "GET /access/projects/{project_id}": 200,
    "GET /access/requests/{request_id}": 200,
    "GET /access/grants/{grant_id}": 200,
    "GET /linkage/extracts": 200,
    "GET /linkage/extracts/{file_id}/download": 403,
}
"""Proof the walk runs as a live member with real ids: what some operations must answer."""


@pytest.fixture(scope="module")
def platform_overrides() -> dict[str, Any]:
    return {"rate_limit_ip_rate": 0, "rate_limit_subject_rate": 0}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    found = [
        (method.upper(), path, [*item.get("parameters", []), *operation.get("parameters", [])])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    return sorted(found, key=lambda op: (op[0] != "GET", op[1]))


def real_values(facts: dict[str, Any]) -> dict[str, str]:
    project = facts["project_id"]
    return {
        "project_id": project,
        "project": project,
        "request_id": facts["request_id"],
        "grant_id": facts["grant_id"],
        "dataset_id": facts["dataset_id"],
        "version_id": facts["version_id"],
        "file_id": facts["extract"]["id"],
        "name": TABLE,
        "table": TABLE,
        "variable": PSEUDONYM,
        "subject": "alice",
        "domain": f"project:{project}",
    }


def value_for(parameter: dict[str, Any], known: dict[str, str]) -> str:
    if parameter["name"] in known:
        return known[parameter["name"]]
    schema = parameter.get("schema", {})
    if schema.get("type") == "integer":
        return "1"
    return str(uuid.uuid4()) if schema.get("format") == "uuid" else "x"


def request_for(
    path: str, parameters: list[dict[str, Any]], known: dict[str, str]
) -> tuple[str, dict[str, str]]:
    query = {}
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", value_for(parameter, known))
        elif parameter["in"] == "query" and (
            parameter.get("required") or parameter["name"] in known
        ):
            query[parameter["name"]] = value_for(parameter, known)
    return path, query


def workspace_read(platform: Platform, file_id: str) -> bytes:
    signer = InternalTokenSigner(platform.service_key, issuer=SERVICE_TOKEN_ISSUER)
    token = signer.sign(service_principal("workspace"), audience="linkage")
    url = f"{platform.services['linkage']}/linkage/extracts/{file_id}/download"
    response = httpx.get(url, headers=bearer(token), timeout=30)
    assert response.status_code == 200, response.text
    gateway = httpx.get(
        f"{platform.url}/linkage/extracts/{file_id}/download", headers=bearer(token)
    )
    assert gateway.status_code == 401  # the gateway takes no service token from outside
    return response.content


def leaks(content: bytes, pseudonyms: set[str], *, parquet_allowed: bool) -> list[str]:
    found = [] if parquet_allowed or PARQUET not in content else ["a Parquet body"]
    text = content.decode("utf-8", "replace")
    return found + [f"pseudonym {p}" for p in pseudonyms if p in text][:3]


async def test_no_operation_returns_a_row_of_a_project_table(platform: Platform) -> None:
    journey = Journey(platform.url, say=lambda _: None, timeout=90, ends_with_revocation=False)
    facts = await asyncio.to_thread(journey.run)
    content = await asyncio.to_thread(workspace_read, platform, facts["extract"]["id"])
    pseudonyms = {str(p) for p in pq.read_table(io.BytesIO(content)).column(PSEUDONYM).to_pylist()}
    assert len(pseudonyms) > 1000 and leaks(content, pseudonyms, parquet_allowed=False)

    known, headers = real_values(facts), journey.bearer("alice")
    async with httpx.AsyncClient(base_url=platform.url, timeout=60) as client:
        spec = (await client.get("/openapi.json")).json()
        walked, statuses, found = 0, {}, []
        for method, path, parameters in operations(spec):
            label = f"{method} {path}"
            if label in NOT_WALKED:
                continue
            url, query = request_for(path, parameters, known)
            body = None if method == "GET" else {}
            response = await client.request(method, url, params=query, json=body, headers=headers)
            walked += 1
            statuses[label] = response.status_code
            leaked = leaks(response.content, pseudonyms, parquet_allowed=label in SYNTHETIC)
            found += [f"{label} ({response.status_code}): {leak}" for leak in leaked]
    assert found == []
    everything = {f"{method} {path}" for method, path, _ in operations(spec)}
    assert set(NOT_WALKED) <= everything and set(statuses) == everything - set(NOT_WALKED)
    assert walked == len(operations(spec)) - len(NOT_WALKED) > 60
    assert {label: statuses[label] for label in ANSWERED} == ANSWERED
    refused = await asyncio.to_thread(
        journey.call, "alice", "GET", f"/linkage/extracts/{facts['extract']['id']}/download", 403
    )
    assert refused.json()["type"] == ROW_LEVEL_REFUSED
