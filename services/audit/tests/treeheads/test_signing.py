from pathlib import Path

import pytest
from pydantic import SecretStr

from audit.config import Settings
from audit.treeheads.signing import SigningKeyMissing, load_signer, private_key_pem


def test_dev_generates_a_key_once(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.pem"
    settings = Settings(environment="dev", audit_signing_key_file=path)
    first = load_signer(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_signer(settings).key_id == first.key_id


def test_production_needs_a_key(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyMissing):
        load_signer(Settings(audit_signing_key_file=tmp_path / "none.pem"))


def test_a_configured_key_wins(tmp_path: Path) -> None:
    generated = load_signer(Settings(environment="dev", audit_signing_key_file=tmp_path / "a"))
    pem = private_key_pem(generated.private_key).decode()
    configured = load_signer(
        Settings(audit_signing_key=SecretStr(pem), audit_signing_key_file=tmp_path / "b")
    )
    assert configured.key_id == generated.key_id
    assert not (tmp_path / "b").exists()
