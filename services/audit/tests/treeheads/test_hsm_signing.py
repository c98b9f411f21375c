"""Tree heads signed inside an HSM (SoftHSM2): the private key cannot be read from the token,
and heads signed before the move to the HSM still verify."""

import uuid
from collections.abc import Callable
from typing import Any

import pkcs11
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pkcs11 import Attribute

from audit.main import create_app
from audit.treeheads.keygen import main as keygen_main
from audit.treeheads.keygen import run as keygen
from audit.treeheads.signing import HsmSigner, SigningKeyMissing, load_signer, release_signer
from hdh_common.hsm import HsmError, ed25519_public_bytes, generate_ed25519
from hdh_dev.softhsm import SoftHsm
from hdh_dev.testing import running

from ..heads import SignedHead
from .test_router import Draft, Headers, check_signature


@pytest.fixture
def label() -> str:
    return f"audit-{uuid.uuid4().hex[:12]}"


async def test_heads_are_signed_in_the_token_and_older_heads_still_verify(
    audit_settings: Callable[..., Any],
    as_role: Headers,
    draft: Draft,
    signed_head: SignedHead,
    softhsm: SoftHsm,
    label: str,
) -> None:
    hsm = softhsm.open()
    public, private = generate_ed25519(hsm, label=label)
    assert (private[Attribute.EXTRACTABLE], private[Attribute.SENSITIVE]) == (False, True)
    with pytest.raises(pkcs11.AttributeSensitive):
        private[Attribute.VALUE]
    async with running(create_app(audit_settings())) as client:
        await client.post("/audit/entries", json=draft(1), headers=as_role("system"))
        old = await signed_head(client, size=1)
    settings = audit_settings(**softhsm.settings(), audit_signing_key_label=label)
    signer = load_signer(settings)
    assert isinstance(signer, HsmSigner) and label in repr(signer)
    assert signer.public_key == ed25519_public_bytes(public)
    Ed25519PublicKey.from_public_bytes(signer.public_key).verify(signer.sign(b"m"), b"m")
    async with running(create_app(settings)) as client:
        await client.post("/audit/entries", json=draft(2), headers=as_role("system"))
        new = await signed_head(client, size=2, not_key=old["key_id"])
        keys = (await client.get("/audit/keys", headers=as_role("auditor"))).json()
    release_signer(signer)
    hsm.close()
    assert new["key_id"] == signer.key_id != old["key_id"]
    check_signature(old, keys)
    check_signature(new, keys)


def test_the_operator_makes_the_pair_once_and_the_service_needs_it(
    audit_settings: Callable[..., Any], softhsm: SoftHsm, label: str
) -> None:
    settings = audit_settings(**softhsm.settings(), audit_signing_key_label=label)
    with pytest.raises(SigningKeyMissing, match="hdh-audit-signing-key new"):
        load_signer(settings)
    made = keygen("new", settings)
    assert keygen("show", settings) == made
    with pytest.raises(HsmError, match="new label"):
        keygen("new", settings)
    signer = load_signer(settings)
    assert signer.key_id == made["key_id"] and made["label"] == label
    release_signer(signer)
    assert keygen_main(["show"]) == 1  # no HDH_HSM_MODULE in this environment
