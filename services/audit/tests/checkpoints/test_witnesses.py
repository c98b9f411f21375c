"""Acceptance 4: two witnesses (the ``hdh-witness`` command, over real HTTP) cosign the log's
checkpoints as it grows; once the log is forked behind the service's back (rows rewritten,
tree recomputed, heads deleted and signed again with the log's own key), both refuse to
cosign and the offline verifier detects the fork."""

import asyncio
import base64
import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from audit.entries.document import document_hash, entry_document
from audit.main import create_app
from audit.merkle import MemoryTree
from audit.treeheads.signing import load_signer
from audit.verifier.cli import main as verify
from hdh_dev.processes import free_port
from hdh_dev.testing import eventually, serve_http
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import ED25519, VerifierKey, format_note, parse_note
from hdh_tlog.signatures import sign_note

from .test_c2sp import log_entries

Headers = Callable[..., dict[str, str]]
BIN = Path(sys.executable).parent


@dataclass
class RunningWitness:
    vkey: str
    url: str
    stderr: Path

    def refusals(self, status: int) -> int:
        """Refused submissions (the witness logs each one, with the checkpoint, as evidence)."""
        return self.stderr.read_text().count(f"({status}): ")

    async def latest(self, origin: str) -> httpx.Response:
        digest = hashlib.sha256(origin.encode()).hexdigest()
        async with httpx.AsyncClient() as client:
            return await client.get(f"{self.url}/{digest}/checkpoint")

    async def add(self, body: str) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(f"{self.url}/add-checkpoint", content=body.encode())


def command() -> str:
    found = shutil.which("hdh-witness", path=str(BIN))
    assert found is not None
    return found


@pytest.fixture
def witnesses(tmp_path: Path, audit_settings: Callable[..., Any]) -> Iterator[list[RunningWitness]]:
    settings = audit_settings()
    signer = load_signer(settings)  # dev: creates the log's key, which the service will load
    log_vkey = str(VerifierKey(settings.log_origin, ED25519, signer.public_key))
    running, processes = [], []
    for number in (1, 2):
        name, key = f"witness{number}.example/w", tmp_path / f"w{number}.pem"
        made = subprocess.run(
            [command(), "keygen", "--name", name, "--key", str(key)],
            capture_output=True,
            text=True,
            check=True,
        )
        port, stderr = free_port(), tmp_path / f"w{number}.log"
        arguments = ["serve", "--name", name, "--key", str(key), "--log", log_vkey]
        arguments += ["--state", str(tmp_path / f"w{number}.sqlite"), "--port", str(port)]
        with stderr.open("w") as log:
            processes.append(subprocess.Popen([command(), *arguments], stderr=log))
        running.append(RunningWitness(made.stdout.strip(), f"http://127.0.0.1:{port}", stderr))
    try:
        for witness in running:
            _wait_until_up(witness)
        yield running
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_up(witness: RunningWitness) -> None:
    for _ in range(200):
        try:
            httpx.get(f"{witness.url}/0/checkpoint", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"the witness at {witness.url} did not start")


@pytest.fixture
async def log_service(
    audit_settings: Callable[..., Any], witnesses: list[RunningWitness], as_role: Headers
) -> Callable[[], Any]:
    settings = audit_settings(audit_witnesses={w.vkey: w.url for w in witnesses})

    def start() -> Any:
        return _serve(settings, as_role("auditor"))

    return start


@pytest.fixture
def checkpoint_at(witnesses: list[RunningWitness]) -> Callable[..., Any]:
    async def wait(http: httpx.AsyncClient, size: int, *, cosigners: int) -> str:
        notes: list[str] = []

        async def reached() -> bool:
            notes.append((await http.get("/audit/checkpoint")).text)
            note = parse_note(notes[-1])
            return Checkpoint.parse(note.text).size == size and len(note.signatures) == (
                1 + cosigners
            )

        await eventually(reached, within=20, interval=0.05)
        return notes[-1]

    return wait


@asynccontextmanager
async def _serve(settings: Any, headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve_http(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, headers=headers) as client,
    ):
        yield client


async def fork(engine: AsyncEngine) -> None:
    """What whoever holds the database can do: rewrite entry 3 with its leaf hash, recompute
    every tree node, and drop the heads, checkpoints and cosignatures that name the old root
    (the service then signs the forked tree with its own key)."""
    async with engine.begin() as connection:
        await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        row = (
            (await connection.execute(sa.text("SELECT * FROM audit.entry WHERE seq = 3")))
            .mappings()
            .one()
        )
        forged = dict(row) | {"actor": "mallory"}
        await connection.execute(
            sa.text("UPDATE audit.entry SET actor = 'mallory', leaf_hash = :leaf WHERE seq = 3"),
            {"leaf": document_hash(entry_document(forged))},
        )
        leaves = await connection.scalars(sa.text("SELECT leaf_hash FROM audit.entry ORDER BY seq"))
        tree = MemoryTree()
        for leaf in leaves:
            tree.append(leaf)
        for table in ("cosignature", "checkpoint", "tree_head", "tree_node"):
            await connection.execute(sa.text(f"DELETE FROM audit.{table}"))
        await connection.execute(
            sa.text("INSERT INTO audit.tree_node (level, idx, hash) VALUES (:l, :i, :h)"),
            [{"l": n.level, "i": n.index, "h": h} for n, h in tree.nodes.items()],
        )


def run_verifier(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = verify(["checkpoint", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def test_a_forked_log_is_refused_by_both_witnesses_and_detected(
    log_service: Callable[[], Any],
    checkpoint_at: Callable[..., Any],
    witnesses: list[RunningWitness],
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    audit_settings: Callable[..., Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await log_entries(sessionmaker, 5)
    async with log_service() as http:
        (tmp_path / "first.txt").write_text(await checkpoint_at(http, 5, cosigners=2))
        await log_entries(sessionmaker, 4)
        witnessed = await checkpoint_at(http, 9, cosigners=2)
        log_vkey = (await http.get("/audit/checkpoint/keys")).text.strip()
        honest = await http.get("/audit/proofs/consistency", params={"first": 5, "second": 9})
        (tmp_path / "honest.json").write_text(honest.text)
    origin = Checkpoint.parse(parse_note(witnessed).text).origin
    (tmp_path / "witnessed.txt").write_text(witnessed)
    keys = ["--log-key", log_vkey, "--witness", witnesses[0].vkey, "--witness", witnesses[1].vkey]
    code, output = run_verifier(str(tmp_path / "witnessed.txt"), *keys, capsys=capsys)
    assert code == 0, output
    extends = ["--previous", str(tmp_path / "first.txt"), "--proof", str(tmp_path / "honest.json")]
    code, output = run_verifier(str(tmp_path / "witnessed.txt"), *keys, *extends, capsys=capsys)
    assert code == 0 and "extends size 5" in output, output

    await fork(engine)
    await log_entries(sessionmaker, 2)
    async with log_service() as http:
        forked = await checkpoint_at(http, 11, cosigners=0)
        proof = await http.get("/audit/proofs/consistency", params={"first": 9, "second": 11})

        async def both_refused() -> bool:
            return all(witness.refusals(422) >= 1 for witness in witnesses)

        await eventually(both_refused, within=20, interval=0.05)
        await asyncio.sleep(0.3)  # a few more rounds of the service asking
        assert (
            parse_note((await http.get("/audit/checkpoint")).text).signatures
            == parse_note(forked).signatures
        )
    fork_body = f"old 9\n{_lines(proof.json()['hashes'])}\n{forked}"
    for witness in witnesses:
        latest = await witness.latest(origin)
        assert parse_note(latest.text).text == parse_note(witnessed).text  # still the honest one
        assert (await witness.add(fork_body)).status_code == 422
        rewound = await witness.add(f"old 0\n\n{forked}")
        assert (rewound.status_code, rewound.text) == (409, "9\n")

    (tmp_path / "forked.txt").write_text(forked)
    (tmp_path / "proof.json").write_text(proof.text)
    code, output = run_verifier(str(tmp_path / "forked.txt"), *keys, capsys=capsys)
    assert code == 1 and "cosigned by 0 of the 2 known witnesses; 2 required" in output
    code, output = run_verifier(
        str(tmp_path / "forked.txt"),
        "--log-key",
        log_vkey,
        "--previous",
        str(tmp_path / "witnessed.txt"),
        "--proof",
        str(tmp_path / "proof.json"),
        capsys=capsys,
    )
    assert code == 1 and "the log forked" in output

    replayed = _resign_with_old_cosignatures(
        audit_settings(), witnessed, forked_size=9, engine=engine
    )
    (tmp_path / "replayed.txt").write_text(await replayed)
    code, output = run_verifier(str(tmp_path / "replayed.txt"), *keys, capsys=capsys)
    assert code == 1 and "does not verify" in output


def _lines(hashes: list[str]) -> str:
    return "".join(base64.b64encode(bytes.fromhex(h)).decode() + "\n" for h in hashes)


async def _resign_with_old_cosignatures(
    settings: Any, witnessed: str, *, forked_size: int, engine: AsyncEngine
) -> str:
    """The forked tree at the witnessed size, signed with the log's key, and the witnesses'
    cosignatures of the honest checkpoint copied onto it."""
    async with engine.connect() as connection:
        leaves = await connection.scalars(
            sa.text("SELECT leaf_hash FROM audit.entry WHERE seq < :n ORDER BY seq"),
            {"n": forked_size},
        )
        tree = MemoryTree()
        for leaf in leaves:
            tree.append(leaf)
    honest = parse_note(witnessed)
    text = Checkpoint(Checkpoint.parse(honest.text).origin, forked_size, tree.root()).text()
    assert text != honest.text
    signer = load_signer(settings)
    origin = Checkpoint.parse(text).origin
    mine = sign_note(signer.sign, name=origin, public_key=signer.public_key, text=text)
    return format_note(text, [mine, *honest.signatures[1:]])
