"""Signed tree heads and keys: the exact public contracts, verification, key rotation."""

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.canonical import canonical_json
from audit.main import create_app
from audit.treeheads import service
from audit.treeheads.signing import load_signer
from hdh_dev.testing import eventually, running

from ..heads import SignedHead

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]


def check_signature(head: dict[str, Any], keys: dict[str, Any]) -> None:
    [key] = [k for k in keys["keys"] if k["key_id"] == head["key_id"]]
    assert key["algorithm"] == "Ed25519"
    raw = base64.b64decode(key["public_key"])
    assert len(raw) == 32
    message = canonical_json({k: head[k] for k in ("tree_size", "root_hash", "timestamp")})
    Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(head["signature"]), message)


async def test_tree_head_contract_and_signature(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft, signed_head: SignedHead
) -> None:
    reader = as_role("researcher")
    empty = (await client.get("/audit/tree-head", headers=reader)).json()
    assert set(empty) == {"tree_size", "root_hash", "timestamp", "signature", "key_id"}
    assert empty["tree_size"] == 0
    assert empty["root_hash"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for n in range(3):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
    head = await signed_head(client, size=3)
    assert head["tree_size"] == 3 and isinstance(head["timestamp"], int)
    again = (await client.get("/audit/tree-head", headers=reader)).json()
    assert again == head
    keys = (await client.get("/audit/keys", headers=reader)).json()
    check_signature(head, keys)


async def test_old_keys_stay_listed_after_rotation(
    audit_settings: Callable[..., Any],
    as_role: Headers,
    draft: Draft,
    tmp_path: Path,
    signed_head: SignedHead,
) -> None:
    reader = as_role("auditor")
    async with running(create_app(audit_settings())) as client:
        await client.post("/audit/entries", json=draft(1), headers=as_role("system"))
        old = await signed_head(client, size=1)
    rotated = audit_settings(audit_signing_key_file=tmp_path / "new" / "key.pem")
    async with running(create_app(rotated)) as client:
        new = await signed_head(client, size=1, not_key=old["key_id"])
        keys = (await client.get("/audit/keys", headers=reader)).json()
    assert new["key_id"] != old["key_id"] and new["root_hash"] == old["root_hash"]
    assert {k["key_id"] for k in keys["keys"]} == {old["key_id"], new["key_id"]}
    check_signature(old, keys)
    check_signature(new, keys)


async def test_heads_are_signed_at_the_configured_cadence(
    audit_settings: Callable[..., Any],
    as_role: Headers,
    draft: Draft,
) -> None:
    settings = audit_settings(audit_tree_head_interval=0.2)
    async with running(create_app(settings)) as client:
        await client.post("/audit/entries", json=draft(1), headers=as_role("system"))

        async def signed_at_cadence() -> bool:
            return 1 in await tree_heads(settings.database_url)

        await eventually(signed_at_cadence, within=5)


async def tree_heads(database_url: str) -> list[int]:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        query = sa.text("SELECT tree_size FROM audit.tree_head ORDER BY id")
        sizes = list((await connection.scalars(query)).all())
    await engine.dispose()
    return sizes


async def test_reading_the_head_signs_nothing(
    audit_settings: Callable[..., Any],
    as_role: Headers,
    draft: Draft,
) -> None:
    settings = audit_settings(audit_tree_head_interval=3600.0)
    async with running(create_app(settings)) as client:
        first = (await client.get("/audit/tree-head", headers=as_role("auditor"))).json()
        for n in range(3):
            await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
        reads = [
            (await client.get("/audit/tree-head", headers=as_role("auditor"))).json()
            for _ in range(5)
        ]
    assert reads == [first] * 5
    assert await tree_heads(settings.database_url) == [0]


async def test_the_first_head_is_signed_once_by_concurrent_readers(
    audit_settings: Callable[..., Any], sessionmaker: Any
) -> None:
    import asyncio

    settings = audit_settings()
    signer = load_signer(settings)

    async def read() -> Any:
        async with sessionmaker.begin() as session:
            return await service.latest(session, signer)

    heads = await asyncio.gather(*(read() for _ in range(8)))
    assert all(head == heads[0] for head in heads)
    assert await tree_heads(settings.database_url) == [0]
