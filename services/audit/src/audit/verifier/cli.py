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
from audit.verifier.checks import Verdict, check_consistency, check_export, public_keys

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


def run(argv: Sequence[str] | None = None) -> Verdict:
    args = _parser().parse_args(argv)
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
