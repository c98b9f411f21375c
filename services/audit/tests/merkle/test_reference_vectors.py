"""Acceptance 1: the tree agrees with the RFC 6962 reference data of CT implementations."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from audit.merkle import MemoryTree, ProofError, leaf_hash, verify_consistency, verify_inclusion

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


@pytest.mark.parametrize(("name", "case"), INCLUSION, ids=[name for name, _ in INCLUSION])
def test_inclusion_vectors(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        verify_inclusion(
            index=case["leafIdx"],
            size=case["treeSize"],
            leaf=b64(case["leafHash"]),
            proof=b64_list(case["proof"]),
            root=b64(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize(("name", "case"), CONSISTENCY, ids=[name for name, _ in CONSISTENCY])
def test_consistency_vectors(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        verify_consistency(
            old_size=case["size1"],
            new_size=case["size2"],
            old_root=b64(case["root1"]),
            new_root=b64(case["root2"]),
            proof=b64_list(case["proof"]),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


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
