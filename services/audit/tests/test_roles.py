"""Acceptance 4: who may call what. Only auditors query and export; only systems append;
proofs, tree heads and keys need an authenticated caller of any role."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hdh_common.identity import Role

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]
AUDITOR_ONLY = [
    "/audit/entries",
    "/audit/entries/0",
    "/audit/export",
    "/audit/export?format=csv",
    "/audit/tile/entries/000.p/1",
]
ANY_ROLE = [
    "/audit/tree-head",
    "/audit/keys",
    "/audit/proofs/inclusion?leaf_index=0&tree_size=1",
    "/audit/proofs/consistency?first=1&second=1",
    "/audit/checkpoint",
    "/audit/checkpoint/keys",
    "/audit/tile/0/000.p/1",
]


@pytest.mark.parametrize("role", list(Role))
async def test_role_matrix(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft, role: Role
) -> None:
    appended = await client.post("/audit/entries", json=draft(1), headers=as_role(role.value))
    assert appended.status_code == (201 if role is Role.SYSTEM else 403)
    if role is not Role.SYSTEM:
        await client.post("/audit/entries", json=draft(1), headers=as_role("system"))
    for path in AUDITOR_ONLY:
        response = await client.get(path, headers=as_role(role.value))
        assert response.status_code == (200 if role is Role.AUDITOR else 403), path
    for path in ANY_ROLE:
        response = await client.get(path, headers=as_role(role.value))
        assert response.status_code == 200, (path, response.text)


async def test_no_token_no_access(client: httpx.AsyncClient, draft: Draft) -> None:
    assert (await client.post("/audit/entries", json=draft(1))).status_code == 401
    for path in AUDITOR_ONLY + ANY_ROLE:
        assert (await client.get(path)).status_code == 401, path
