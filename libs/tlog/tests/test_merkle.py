"""Proof verification against the RFC 6962 reference vectors of CT implementations."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from hdh_tlog.merkle import ProofError, verify_consistency, verify_inclusion

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "rfc6962"


def load(folder: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((DATA / folder).rglob("*.json"))
    assert files, f"no reference data under {DATA / folder}"
    return [(str(f.relative_to(DATA)), json.loads(f.read_text())) for f in files]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def b64_list(values: list[str] | None) -> list[bytes]:
    return [b64(v) for v in values or []]


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
