"""``hdh-audit-signing-key``: the operator's command for the tree-head key pair in the HSM,
run with the audit service's settings (``HDH_HSM_*``, ``HDH_AUDIT_SIGNING_KEY_LABEL``).

    hdh-audit-signing-key new    generate the pair in the token (the private half is
                                 non-extractable); prints its key id and public key
    hdh-audit-signing-key show   the key id and public key of the pair in the token

To rotate, generate a pair under a new label and point the service at it: the public keys of
earlier pairs stay listed at ``GET /audit/keys``, so older tree heads still verify.
"""

import argparse
import base64
import json
import sys
from collections.abc import Sequence

from audit.config import Settings
from audit.treeheads.signing import HsmSigner, key_id_of
from hdh_common.hsm import Hsm, HsmError, ed25519_public_bytes, generate_ed25519, open_hsm


def run(command: str, settings: Settings) -> dict[str, str]:
    config = settings.hsm_config()
    if config is None:
        raise HsmError("HDH_HSM_MODULE is not set: the signing key is not in an HSM")
    hsm = open_hsm(config)
    label = settings.audit_signing_key_label
    try:
        raw = _new(hsm, label) if command == "new" else HsmSigner(hsm, label=label).public_key
    finally:
        hsm.close()
    return {"label": label, "key_id": key_id_of(raw), "public_key": base64.b64encode(raw).decode()}


def _new(hsm: Hsm, label: str) -> bytes:
    if hsm.private_keys(label):
        raise HsmError(f"a key pair labelled {label!r} exists: rotate under a new label")
    public, _ = generate_ed25519(hsm, label=label)
    return ed25519_public_bytes(public)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hdh-audit-signing-key",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["new", "show"])
    arguments = parser.parse_args(argv)
    try:
        result = run(arguments.command, Settings())
    except HsmError as exc:
        print(f"hdh-audit-signing-key: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
