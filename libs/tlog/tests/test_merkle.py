"""Consistency proofs against the RFC 6962 reference vectors of CT implementations."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from hdh_tlog.merkle import ProofError, verify_consistency

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "rfc6962"
CASES = [
    (str(f.relative_to(DATA)), json.loads(f.read_text()))
    for f in sorted((DATA / "consistency").rglob("*.json"))
]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_consistency_vectors(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        verify_consistency(
            old_size=case["size1"],
            new_size=case["size2"],
            old_root=b64(case["root1"]),
            new_root=b64(case["root2"]),
            proof=[b64(h) for h in case["proof"] or []],
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()
