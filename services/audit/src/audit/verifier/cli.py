"""``hdh-audit-verify``: check saved audit material offline, with no access to the service."""

import argparse
import base64
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit.export.formats import ExportFormat, read_rows
from audit.treeheads.signing import key_id_of
from audit.verifier.checks import (
    Verdict,
    check_checkpoint,
    check_checkpoint_consistency,
    check_consistency,
    check_export,
    public_keys,
)
from hdh_tlog.note import NoteError, VerifierKey

SUFFIXES = {".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv", ".parquet": "parquet"}


def _json(path: str) -> Any:
    return json.loads(Path(path).read_text())


def _format(path: Path, given: str | None) -> ExportFormat:
    return ExportFormat(given or SUFFIXES.get(path.suffix.lower(), "ndjson"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hdh-audit-verify", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="an export against a signed tree head")
    export.add_argument("export", help="file from GET /audit/export")
    export.add_argument("--tree-head", required=True, help="saved GET /audit/tree-head")
    _key_options(export)
    export.add_argument("--format", choices=[f.value for f in ExportFormat])
    consistency = commands.add_parser("consistency", help="two saved signed tree heads")
    consistency.add_argument("--first", required=True, help="the older saved tree head")
    consistency.add_argument("--second", required=True, help="the newer saved tree head")
    consistency.add_argument("--proof", required=True, help="saved GET /audit/proofs/consistency")
    _key_options(consistency)
    checkpoint = commands.add_parser(
        "checkpoint", help="a saved C2SP checkpoint (GET /audit/checkpoint) and its cosigners"
    )
    checkpoint.add_argument("checkpoint", help="saved GET /audit/checkpoint")
    checkpoint.add_argument(
        "--log-key", action="append", required=True, help="the log's note verifier key (vkey)"
    )
    checkpoint.add_argument(
        "--witness", action="append", default=[], help="a known witness's vkey; repeat"
    )
    checkpoint.add_argument(
        "--quorum", type=int, help="cosignatures of known witnesses required (default: all)"
    )
    checkpoint.add_argument("--previous", help="an earlier saved checkpoint it must extend")
    checkpoint.add_argument("--proof", help="saved GET /audit/proofs/consistency for --previous")
    return parser


def _key_options(parser: argparse.ArgumentParser) -> None:
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--keys", help="saved GET /audit/keys")
    keys.add_argument("--public-key", help="one Ed25519 public key, base64 of the raw 32 bytes")


def _keys(args: argparse.Namespace) -> dict[str, bytes]:
    if args.public_key:
        raw = base64.b64decode(args.public_key)
        return {key_id_of(raw): raw}
    return public_keys(_json(args.keys))


def _vkeys(values: Sequence[str]) -> list[VerifierKey]:
    try:
        return [VerifierKey.parse(value) for value in values]
    except NoteError as exc:
        raise SystemExit(f"hdh-audit-verify: {exc}") from exc


def _checkpoint(args: argparse.Namespace) -> Verdict:
    log_keys, witnesses = _vkeys(args.log_key), _vkeys(args.witness)
    text = Path(args.checkpoint).read_text()
    quorum = len(witnesses) if args.quorum is None else args.quorum
    verdict = check_checkpoint(text, log_keys=log_keys, witnesses=witnesses, quorum=quorum)
    if not verdict.ok or args.previous is None:
        return verdict
    if args.proof is None:
        raise SystemExit("hdh-audit-verify: --previous needs --proof")
    previous = Path(args.previous).read_text()
    return check_checkpoint_consistency(previous, text, _json(args.proof), log_keys=log_keys)


def run(argv: Sequence[str] | None = None) -> Verdict:
    args = _parser().parse_args(argv)
    if args.command == "checkpoint":
        return _checkpoint(args)
    keys = _keys(args)
    if args.command == "export":
        path = Path(args.export)
        rows = read_rows(path, _format(path, args.format))
        return check_export(rows, _json(args.tree_head), keys)
    return check_consistency(_json(args.first), _json(args.second), _json(args.proof), keys)


def main(argv: Sequence[str] | None = None) -> int:
    verdict = run(argv)
    if verdict.ok:
        print(f"OK: {verdict.message}")
        return 0
    where = (
        f" (first bad index: {verdict.first_bad_index})"
        if verdict.first_bad_index is not None
        else ""
    )
    print(f"FAILED: {verdict.message}{where}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
