"""Acceptance 1: the tree agrees with the RFC 6962 reference data of CT implementations (its
proofs are verified against the same data in hdh_tlog's tests)."""

import base64
import json
from pathlib import Path
from typing import Any

from audit.merkle import MemoryTree, leaf_hash

DATA = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "rfc6962"


def load(folder: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((DATA / folder).rglob("*.json"))
    assert files, f"no reference data under {DATA / folder}"
    return [(str(f.relative_to(DATA)), json.loads(f.read_text())) for f in files]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def b64_list(values: list[str] | None) -> list[bytes]:
    return [b64(v) for v in values or []]


def test_roots_of_the_reference_tree() -> None:
    reference = json.loads((DATA / "reference-tree.json").read_text())
    tree = MemoryTree()
    for data, expected in zip(reference["leaves_hex"], reference["leaf_hashes_hex"], strict=True):
        assert leaf_hash(bytes.fromhex(data)).hex() == expected
        tree.append(leaf_hash(bytes.fromhex(data)))
    for size, root in reference["roots_by_size_hex"].items():
        assert tree.root(int(size)).hex() == root


INCLUSION = load("inclusion")
CONSISTENCY = load("consistency")


def test_our_proofs_match_the_happy_paths() -> None:
    reference = json.loads((DATA / "reference-tree.json").read_text())
    tree = MemoryTree()
    for data in reference["leaves_hex"]:
        tree.append(leaf_hash(bytes.fromhex(data)))
    for name, case in INCLUSION:
        if not case["wantErr"] and case["treeSize"] <= tree.size and "happy" in name:
            assert tree.root(case["treeSize"]) == b64(case["root"])
            assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == b64_list(
                case["proof"]
            )
    for name, case in CONSISTENCY:
        if not case["wantErr"] and case["size1"] > 0 and case["size2"] <= tree.size:
            assert tree.consistency_proof(case["size1"], case["size2"]) == b64_list(
                case["proof"]
            ), name
