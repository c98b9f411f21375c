import base64
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from linkage.keys.crypto import (
    FileMasterKey,
    MasterKeyError,
    MasterKeyUnavailable,
    Sealed,
    load_master_key,
    new_domain_key,
)


def test_sealed_keys_open_only_for_their_domain_and_version() -> None:
    master = FileMasterKey(os.urandom(32))
    key = new_domain_key()
    sealed = master.seal(key, domain="central", version=1)
    assert key not in sealed.blob and sealed.key_id == "file"
    assert master.open(sealed, domain="central", version=1) == key
    with pytest.raises(MasterKeyError):
        master.open(sealed, domain="central", version=2)
    with pytest.raises(MasterKeyError):
        master.open(sealed, domain="project:x", version=1)
    with pytest.raises(MasterKeyError):
        FileMasterKey(os.urandom(32)).open(sealed, domain="central", version=1)
    with pytest.raises(MasterKeyUnavailable):
        master.open(Sealed("hsm:other:1", sealed.blob), domain="central", version=1)


def test_configured_master_key_is_used(tmp_path: Path) -> None:
    raw = os.urandom(32)
    master = load_master_key(
        SecretStr(base64.b64encode(raw).decode()), dev=False, path=tmp_path / "k"
    )
    sealed = master.seal(b"k" * 32, domain="central", version=1)
    assert FileMasterKey(raw).open(sealed, domain="central", version=1) == b"k" * 32
    assert not (tmp_path / "k").exists()


def test_dev_generates_a_private_file_once_production_refuses(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "linkage-master.key"
    first = load_master_key(SecretStr(""), dev=True, path=path)
    assert path.stat().st_mode & 0o777 == 0o600
    sealed = first.seal(b"k" * 32, domain="central", version=1)
    again = load_master_key(SecretStr(""), dev=True, path=path)
    assert again.open(sealed, domain="central", version=1) == b"k" * 32
    with pytest.raises(MasterKeyError, match="required"):
        load_master_key(SecretStr(""), dev=False, path=path)
    with pytest.raises(MasterKeyError, match="base64"):
        load_master_key(SecretStr("not base64!"), dev=False, path=path)
    assert repr(first) == "FileMasterKey(<hidden>)"
