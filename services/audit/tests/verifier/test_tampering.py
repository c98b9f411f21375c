"""Acceptance 2: the offline verifier accepts an honest export and, once an entry was altered,
deleted or inserted behind the service's back (superuser, triggers disabled), fails and names
the first bad index. Also: consistency between two saved heads."""

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from audit.entries.document import document_hash, entry_document
from audit.verifier.cli import main

from ..heads import SignedHead

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]
SIZE = 9


@pytest.fixture
async def saved(
    client: httpx.AsyncClient,
    as_role: Headers,
    draft: Draft,
    tmp_path: Path,
    signed_head: SignedHead,
) -> Path:
    """A log of ``SIZE`` entries, and an auditor's saved head and keys."""
    for n in range(SIZE):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
    (tmp_path / "head.json").write_text(json.dumps(await signed_head(client, size=SIZE)))
    keys = await client.get("/audit/keys", headers=as_role("auditor"))
    (tmp_path / "keys.json").write_text(keys.text)
    return tmp_path


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], folder: Path, fmt: str
) -> Path:
    response = await client.get(
        "/audit/export", params={"format": fmt, "tree_size": SIZE}, headers=headers
    )
    assert response.status_code == 200, response.text
    path = folder / f"export.{fmt}"
    path.write_bytes(response.content)
    return path


def verify(folder: Path, export_file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        [
            "export",
            str(export_file),
            "--tree-head",
            str(folder / "head.json"),
            "--keys",
            str(folder / "keys.json"),
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def tamper(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            await connection.execute(sa.text(statement))


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "parquet"])
async def test_an_honest_export_verifies(
    client: httpx.AsyncClient,
    as_role: Headers,
    saved: Path,
    fmt: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported = await export(client, as_role("auditor"), saved, fmt)
    code, output = verify(saved, exported, capsys)
    assert code == 0, output
    assert f"all {SIZE} entries match" in output
    [key] = json.loads((saved / "keys.json").read_text())["keys"]
    head = str(saved / "head.json")
    assert (
        main(["export", str(exported), "--tree-head", head, "--public-key", key["public_key"]]) == 0
    )


async def forge_insert(engine: AsyncEngine, *, at: int) -> list[str]:
    """Shift entries up by one; slip a well-formed entry with its own leaf hash in at ``at``."""
    async with engine.connect() as connection:
        row = (
            (await connection.execute(sa.text(f"SELECT * FROM audit.entry WHERE seq = {at}")))
            .mappings()
            .one()
        )
    forged = dict(row) | {"seq": at, "event_id": "forged", "actor": "mallory"}

    leaf = document_hash(entry_document(forged)).hex()
    payload = json.dumps(forged["payload"]).replace("'", "''")
    return [
        f"UPDATE audit.entry SET seq = seq + 1000 WHERE seq >= {at}",
        "UPDATE audit.entry SET seq = seq - 999 WHERE seq >= 1000",
        "INSERT INTO audit.entry (seq, event_id, time, actor, action, outcome, payload, leaf_hash)"
        f" VALUES ({at}, 'forged', '{forged['time'].isoformat()}', 'mallory', '{forged['action']}',"
        f" 'success', '{payload}'::jsonb, '\\x{leaf}')",
    ]


@pytest.mark.parametrize(
    ("attack", "fmt"),
    [
        ("alter", "ndjson"),
        ("alter-with-leaf-hash", "ndjson"),
        ("delete", "ndjson"),
        ("delete-and-shift", "ndjson"),
        ("insert", "ndjson"),
        ("delete-and-shift", "parquet"),
        ("insert", "csv"),
    ],
)
async def test_tampering_is_found_and_located(
    client: httpx.AsyncClient,
    as_role: Headers,
    saved: Path,
    engine: AsyncEngine,
    attack: str,
    fmt: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    statements = {
        "alter": ["UPDATE audit.entry SET actor = 'mallory' WHERE seq = 4"],
        "alter-with-leaf-hash": [
            "UPDATE audit.entry SET outcome = 'denied', leaf_hash = '\\x00' WHERE seq = 4"
        ],
        "delete": ["DELETE FROM audit.entry WHERE seq = 4"],
        "delete-and-shift": [
            "DELETE FROM audit.entry WHERE seq = 4",
            "UPDATE audit.entry SET seq = seq - 1 WHERE seq > 4",
        ],
    }.get(attack) or await forge_insert(engine, at=4)
    await tamper(engine, *statements)
    code, output = verify(saved, await export(client, as_role("auditor"), saved, fmt), capsys)
    assert code == 1
    assert "first bad index: 4" in output, output


async def test_consistency_between_two_saved_heads(
    client: httpx.AsyncClient,
    as_role: Headers,
    draft: Draft,
    saved: Path,
    capsys: pytest.CaptureFixture[str],
    signed_head: SignedHead,
) -> None:
    auditor = as_role("auditor")
    for n in range(SIZE, SIZE + 5):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
    head2 = await signed_head(client, size=SIZE + 5)
    (saved / "head2.json").write_text(json.dumps(head2))
    proof = await client.get(
        "/audit/proofs/consistency", params={"first": SIZE, "second": SIZE + 5}, headers=auditor
    )
    (saved / "proof.json").write_text(proof.text)
    args = [
        "consistency",
        "--first",
        str(saved / "head.json"),
        "--second",
        str(saved / "head2.json"),
        "--proof",
        str(saved / "proof.json"),
        "--keys",
        str(saved / "keys.json"),
    ]
    assert main(args) == 0
    forged = json.loads((saved / "proof.json").read_text())
    forged["hashes"][0] = "00" * 32
    (saved / "proof.json").write_text(json.dumps(forged))
    assert main(args) == 1
    head = json.loads((saved / "head.json").read_text())
    head["root_hash"] = "11" * 32
    (saved / "head.json").write_text(json.dumps(head))
    capsys.readouterr()
    assert main(args) == 1
    assert "signature" in capsys.readouterr().err


async def test_the_installed_command(
    client: httpx.AsyncClient, as_role: Headers, saved: Path
) -> None:
    command = shutil.which("hdh-audit-verify", path=str(Path(sys.executable).parent))
    assert command is not None
    exported = await export(client, as_role("auditor"), saved, "csv")
    args = ["export", str(exported), "--tree-head", str(saved / "head.json")]
    done = subprocess.run(  # noqa: ASYNC221 - a short child process
        [command, *args, "--keys", str(saved / "keys.json")], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert b"OK" in done.stdout
