"""``hdh-witness``: make a witness key, print its verifier key, serve the witness."""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hdh_tlog.note import COSIGNATURE_V1, ED25519, NoteError, VerifierKey
from hdh_tlog.witness.core import Witness
from hdh_tlog.witness.store import Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hdh-witness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="write a new Ed25519 key, print its vkey")
    vkey = commands.add_parser("vkey", help="print the verifier key of a witness key")
    serve = commands.add_parser("serve", help="run the witness over HTTP")
    for command in (keygen, vkey, serve):
        command.add_argument("--name", required=True, help="witness name, e.g. witness.example/w1")
        command.add_argument("--key", required=True, type=Path, help="PEM private key file")
    serve.add_argument(
        "--log",
        action="append",
        required=True,
        help="verifier key of a log (its name is the log's origin); repeat for more logs",
    )
    serve.add_argument("--state", required=True, type=Path, help="SQLite file of the state")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7380)
    return parser


def load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"{path} does not hold an Ed25519 private key")
    return key


def write_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(pem)
    return key


def build(args: argparse.Namespace) -> Witness:
    try:
        logs = [VerifierKey.parse(vkey) for vkey in args.log]
    except NoteError as exc:
        raise SystemExit(str(exc)) from exc
    if any(key.signature_type != ED25519 for key in logs):
        raise SystemExit("a log's verifier key is an Ed25519 note key (type 0x01)")
    store = Store(args.state)
    return Witness(name=args.name, private_key=load_key(args.key), logs=logs, store=store)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        import logging

        import uvicorn

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

        from hdh_tlog.witness.app import create_app

        uvicorn.run(create_app(build(args)), host=args.host, port=args.port, log_config=None)
        return 0
    key = write_key(args.key) if args.command == "keygen" else load_key(args.key)
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    print(VerifierKey(args.name, COSIGNATURE_V1, public))
    return 0


if __name__ == "__main__":
    sys.exit(main())
