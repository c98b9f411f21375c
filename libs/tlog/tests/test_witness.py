"""The witness's answers, status by status as c2sp.org/tlog-witness names them."""

import base64
import hashlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import ED25519, VerifierKey, format_note, parse_note
from hdh_tlog.signatures import sign_note, verify_note
from hdh_tlog.witness.app import create_app
from hdh_tlog.witness.cli import main
from hdh_tlog.witness.core import Refused, Witness
from hdh_tlog.witness.store import Store

from .rfc6962 import mth, proof

ORIGIN = "hub.example/audit"
LEAVES = [f"entry {i}".encode() for i in range(20)]


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass
class Log:
    key: Ed25519PrivateKey
    origin: str = ORIGIN

    @property
    def vkey(self) -> VerifierKey:
        return VerifierKey(self.origin, ED25519, raw(self.key))

    def note(self, size: int, *, root: bytes | None = None) -> str:
        text = Checkpoint(self.origin, size, root or mth(LEAVES[:size])).text()
        signature = sign_note(self.key.sign, name=self.origin, public_key=raw(self.key), text=text)
        return format_note(text, [signature])


def body(old: int, note: str, hashes: list[bytes] | None = None) -> str:
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in hashes or [])
    return f"old {old}\n{lines}\n{note}"


def submission(log: Log, old: int, size: int) -> str:
    return body(old, log.note(size), proof(old, LEAVES[:size]) if 0 < old < size else [])


@pytest.fixture
def log() -> Log:
    return Log(Ed25519PrivateKey.generate())


@pytest.fixture
def witness(log: Log, tmp_path: Path) -> Witness:
    return Witness(
        name="witness.example/w1",
        private_key=Ed25519PrivateKey.generate(),
        logs=[log.vkey],
        store=Store(tmp_path / "witness.sqlite"),
    )


@pytest.fixture
async def http(witness: Witness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(witness))
    async with httpx.AsyncClient(transport=transport, base_url="http://witness") as client:
        yield client


async def add(http: httpx.AsyncClient, content: str) -> httpx.Response:
    return await http.post("/add-checkpoint", content=content.encode())


async def test_cosigns_a_consistent_history(
    http: httpx.AsyncClient, log: Log, witness: Witness
) -> None:
    first = await add(http, submission(log, 0, 5))
    assert first.status_code == 200, first.text
    note = parse_note(log.note(5) + first.text)
    [cosigned] = [v for v in verify_note(note, [witness.verifier_key]) if v.timestamp]
    assert cosigned.key == witness.verifier_key
    for old, new in ((5, 5), (5, 8), (8, 20)):
        answer = await add(http, submission(log, old, new))
        assert answer.status_code == 200, answer.text
    latest = await http.get(f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint")
    assert latest.status_code == 200
    stored = parse_note(latest.text)
    assert Checkpoint.parse(stored.text).size == 20
    assert len(verify_note(stored, [log.vkey, witness.verifier_key])) == 2


async def test_refuses_a_fork(http: httpx.AsyncClient, log: Log) -> None:
    assert (await add(http, submission(log, 0, 8))).status_code == 200
    forked = [*LEAVES[:3], b"rewritten", *LEAVES[4:12]]
    fork_note = log.note(12, root=mth(forked))
    bad_proof = await add(http, body(8, fork_note, proof(8, forked)))
    assert bad_proof.status_code == 422
    same_size = await add(http, body(8, log.note(8, root=mth(forked[:8]))))
    assert same_size.status_code == 422
    from_scratch = await add(http, body(0, fork_note))
    assert from_scratch.status_code == 409
    assert from_scratch.headers["content-type"] == "text/x.tlog.size"
    assert from_scratch.text == "8\n"
    assert (await add(http, submission(log, 8, 12))).status_code == 200


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("unknown origin", 404),
        ("bad signature", 403),
        ("other key", 403),
        ("old above size", 400),
        ("malformed", 400),
        ("bad empty root", 422),
        ("proof from zero", 422),
        ("too many proof lines", 400),
    ],
)
async def test_refusals(http: httpx.AsyncClient, log: Log, case: str, status: int) -> None:
    content = {
        "unknown origin": lambda: body(0, Log(log.key, "other.example/log").note(3)),
        "bad signature": lambda: body(0, log.note(3).replace("\n3\n", "\n4\n")),
        "other key": lambda: body(0, Log(Ed25519PrivateKey.generate()).note(3)),
        "old above size": lambda: body(4, log.note(3)),
        "malformed": lambda: "old 0\n" + log.note(3),
        "bad empty root": lambda: body(0, log.note(0, root=bytes(32))),
        "proof from zero": lambda: body(0, log.note(3), [bytes(32)]),
        "too many proof lines": lambda: body(1, log.note(3), [bytes(32)] * 64),
    }[case]()
    answer = await add(http, content)
    assert answer.status_code == status, answer.text
    unknown = await http.get(f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint")
    assert unknown.status_code == 404


def test_concurrent_submissions_cannot_roll_back(witness: Witness, log: Log) -> None:
    """Check and update are one step: of two submissions from the same old size, one wins."""
    witness.add_checkpoint(submission(log, 0, 4).encode())
    outcomes: list[int] = []

    def submit(size: int) -> None:
        try:
            witness.add_checkpoint(submission(log, 4, size).encode())
            outcomes.append(200)
        except Refused as refusal:
            outcomes.append(refusal.status)

    threads = [threading.Thread(target=submit, args=(size,)) for size in (10, 6) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200] + [409] * 7


def test_keygen_prints_the_verifier_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen", "--name", "w.example/1", "--key", str(tmp_path / "w.pem")]) == 0
    printed = capsys.readouterr().out.strip()
    assert VerifierKey.parse(printed).name == "w.example/1"
    assert (tmp_path / "w.pem").stat().st_mode & 0o777 == 0o600
    assert main(["vkey", "--name", "w.example/1", "--key", str(tmp_path / "w.pem")]) == 0
    assert capsys.readouterr().out.strip() == printed
