"""Acceptance 3: the checkpoint at /audit/checkpoint verifies with a signed-note verifier
written here from c2sp.org/signed-note and c2sp.org/tlog-checkpoint alone (not the service's
code), and inclusion proofs verify against tiles (c2sp.org/tlog-tiles) fetched over HTTP."""

import base64
import hashlib
import struct
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.entries import service as entries
from audit.entries.schemas import EntryCreate
from audit.main import create_app
from hdh_dev.testing import eventually, serve_http

Headers = Callable[..., dict[str, str]]
SIZE = 300  # a full level-0 tile, a partial one of 44, a partial level-1 tile of width 1
ORIGIN = "hub.example.org/hdh/audit"


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def verify_note(note: bytes, *, name: str, public_key: bytes) -> str:
    """c2sp.org/signed-note: the text, verified by the Ed25519 key ``name`` (type 0x01)."""
    decoded = note.decode("utf-8")
    assert all(c == "\n" or ord(c) >= 0x20 for c in decoded)
    text, blank, signature_lines = decoded.rpartition("\n\n")
    assert blank and signature_lines.endswith("\n")
    text += "\n"
    wanted_id = sha256(name.encode() + b"\n" + b"\x01" + public_key)[:4]
    verified = 0
    for line in signature_lines[:-1].split("\n"):
        assert line.startswith("\u2014 ")
        key_name, encoded = line[2:].split(" ")
        blob = base64.b64decode(encoded, validate=True)
        if key_name == name and blob[:4] == wanted_id:
            Ed25519PublicKey.from_public_bytes(public_key).verify(blob[4:], text.encode())
            verified += 1
    assert verified == 1
    return text


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """c2sp.org/tlog-checkpoint: origin, decimal size, base64 root (then extension lines)."""
    origin, size, root, *rest = text.split("\n")
    assert rest == [""]
    assert size == str(int(size))
    return origin, int(size), base64.b64decode(root, validate=True)


def node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf *hashes*."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node(mth(hashes[:k]), mth(hashes[k:]))


def path(index: int, hashes: list[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]) over leaf hashes."""
    if len(hashes) == 1:
        return []
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    if index < k:
        return [*path(index, hashes[:k]), mth(hashes[k:])]
    return [*path(index - k, hashes[k:]), mth(hashes[:k])]


def root_from_path(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


def hashes_of(tile: bytes) -> list[bytes]:
    assert len(tile) % 32 == 0
    return [tile[i : i + 32] for i in range(0, len(tile), 32)]


def entries_of(bundle: bytes) -> list[bytes]:
    found, at = [], 0
    while at < len(bundle):
        (length,) = struct.unpack(">H", bundle[at : at + 2])
        found.append(bundle[at + 2 : at + 2 + length])
        at += 2 + length
    return found


async def log_entries(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> None:
    drafts = [
        EntryCreate(action="hdh.test.done.v1", resource_id=f"r-{n}", payload={"n": n, "é": "ü"})
        for n in range(count)
    ]
    async with sessionmaker.begin() as session:
        await entries.append(session, drafts)


async def tile(http: httpx.AsyncClient, path: str, *, cache: str = "immutable") -> bytes:
    response = await http.get(f"/audit/tile/{path}")
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"] == "application/octet-stream"
    assert cache in response.headers["cache-control"]
    return response.content


async def test_checkpoint_and_tiles_verify_from_the_specs(
    audit_settings: Callable[..., Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    as_role: Headers,
) -> None:
    await log_entries(sessionmaker, SIZE)
    settings = audit_settings(public_url="https://hub.example.org/hdh/")
    async with (
        serve_http(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, headers=as_role("auditor")) as http,
    ):

        async def signed() -> bool:
            head = (await http.get("/audit/tree-head")).json()
            return bool(head["tree_size"] == SIZE)

        await eventually(signed, within=20, interval=0.05)
        answer = await http.get("/audit/checkpoint")
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.headers["cache-control"] == "no-store"  # the latest, never a stale one
        [key] = (await http.get("/audit/keys")).json()["keys"]
        public_key = base64.b64decode(key["public_key"])
        text = verify_note(answer.content, name=ORIGIN, public_key=public_key)
        origin, size, root = parse_checkpoint(text)
        assert (origin, size) == (ORIGIN, SIZE)
        vkeys = (await http.get("/audit/checkpoint/keys")).text.split()
        material = base64.b64encode(b"\x01" + public_key).decode()
        key_id = sha256(ORIGIN.encode() + b"\n\x01" + public_key)[:4].hex()
        assert vkeys == [f"{ORIGIN}+{key_id}+{material}"]

        full = hashes_of(await tile(http, "0/000"))
        partial = hashes_of(await tile(http, "0/001.p/44"))
        [upper] = hashes_of(await tile(http, "1/000.p/1"))
        assert (len(full), len(partial)) == (256, 44)
        assert upper == mth(full)
        assert node(upper, mth(partial)) == root
        leaves = full + partial
        bundles = entries_of(await tile(http, "entries/000", cache="private"))
        bundles += entries_of(await tile(http, "entries/001.p/44", cache="private"))
        assert [sha256(b"\x00" + entry) for entry in bundles] == leaves
        assert b'"resource_id":"r-299"' in bundles[-1]

        for index in (0, 1, 17, 255, 256, 298, 299):
            proof = (
                await http.get(
                    "/audit/proofs/inclusion", params={"leaf_index": index, "tree_size": SIZE}
                )
            ).json()
            hashes = [bytes.fromhex(h) for h in proof["hashes"]]
            assert bytes.fromhex(proof["leaf_hash"]) == leaves[index]
            assert hashes == path(index, leaves)
            assert root_from_path(index, SIZE, leaves[index], hashes) == root


async def test_tile_paths(client: httpx.AsyncClient, as_role: Headers, draft: Any) -> None:
    for n in range(3):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
    reader = as_role("researcher")
    assert len((await client.get("/audit/tile/0/000.p/3", headers=reader)).content) == 96
    for path in (
        "0/000",  # not full yet
        "0/000.p/4",  # wider than the log
        "1/000.p/1",  # no full level-0 tile yet
        "0/x000/000.p/1",  # not the canonical spelling of 0
        "00/000.p/1",
        "64/000.p/1",
        "0/000.p/0",
        "0/000.p/256",
        "0/0.p/1",
        "0/abc",
        "entries/000.p/4",
    ):
        headers = as_role("auditor")
        response = await client.get(f"/audit/tile/{path}", headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/audit-tile-not-found"


async def test_an_entry_too_large_for_a_bundle_is_named(
    client: httpx.AsyncClient,
    as_role: Headers,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Events from the broker may exceed what a uint16 length says; the bundle then points to
    the entry's own route instead of failing."""
    large = EntryCreate(action="hdh.test.done.v1", payload={"text": "x" * 70_000})
    async with sessionmaker.begin() as session:
        await entries.append(session, [large])
    auditor = as_role("auditor")
    response = await client.get("/audit/tile/entries/000.p/1", headers=auditor)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/audit-entry-too-large-for-bundle"
    assert "/audit/entries/0" in response.json()["detail"]
    assert (await client.get("/audit/tile/0/000.p/1", headers=auditor)).status_code == 200
