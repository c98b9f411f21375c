"""Witness benchmark: ``add-checkpoint`` as ``hdh-witness`` runs it (parse, verify the log's
signature, verify the consistency proof, check and replace the stored checkpoint in one SQLite
transaction, cosign) against the bare cryptography of the same step (one Ed25519
verification and one signature), measured in the same run.

Run: ``.venv/bin/python services/audit/bench/bench_witness.py [--checkpoints N]``.
"""

import argparse
import base64
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.merkle import MemoryTree, leaf_hash
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import ED25519, VerifierKey, format_note
from hdh_tlog.signatures import sign_note
from hdh_tlog.witness.core import Witness
from hdh_tlog.witness.store import Store

ORIGIN = "bench.example/audit"
START = 100_000


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def submissions(log: Ed25519PrivateKey, count: int) -> list[bytes]:
    """The first checkpoint at ``START`` leaves, then ``count`` more, 10 leaves apart."""
    tree, bodies, old = MemoryTree(), [], 0
    for n in range(START + 10 * count):
        tree.append(leaf_hash(n.to_bytes(8, "big")))
        if n + 1 >= START and (n + 1 - START) % 10 == 0:
            size = n + 1
            text = Checkpoint(ORIGIN, size, tree.root()).text()
            note = format_note(
                text, [sign_note(log.sign, name=ORIGIN, public_key=raw(log), text=text)]
            )
            proof = tree.consistency_proof(old, size) if old else []
            lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
            bodies.append(f"old {old}\n{lines}\n{note}".encode())
            old = size
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoints", type=int, default=2_000)
    args = parser.parse_args()
    log, witness_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    bodies = submissions(log, args.checkpoints)
    public = witness_key.public_key()
    started = time.perf_counter()
    for body in bodies:
        message = body[body.index(b"\n\n") + 2 :]  # a message of a checkpoint's length
        public.verify(witness_key.sign(message), message)
    baseline = time.perf_counter() - started
    with TemporaryDirectory() as folder:
        witness = Witness(
            name="w.example/bench",
            private_key=witness_key,
            logs=[VerifierKey(ORIGIN, ED25519, raw(log))],
            store=Store(Path(folder) / "w.sqlite"),
        )
        started = time.perf_counter()
        for body in bodies:
            witness.add_checkpoint(body)
        measured = time.perf_counter() - started
    count = len(bodies)
    print(f"add-checkpoint: {count / measured:,.0f}/s ({1000 * measured / count:.2f} ms each)")
    print(f"baseline (Ed25519 verify + sign): {count / baseline:,.0f}/s")
    print(f"ratio witness / baseline time: {measured / baseline:.2f}")


if __name__ == "__main__":
    main()
