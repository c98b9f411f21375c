"""The verifier's checkpoint check: the log's signature for the right origin, and k of n
known witnesses' cosignatures, none of them forged."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.verifier.checks import check_checkpoint
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import COSIGNATURE_V1, ED25519, Signature, VerifierKey, format_note
from hdh_tlog.signatures import cosign, sign_note

ORIGIN = "hub.example/audit"


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


LOG = Ed25519PrivateKey.generate()
WITNESSES = [Ed25519PrivateKey.generate() for _ in range(3)]
LOG_KEY = VerifierKey(ORIGIN, ED25519, raw(LOG))
WITNESS_KEYS = [
    VerifierKey(f"w{i}.example", COSIGNATURE_V1, raw(k)) for i, k in enumerate(WITNESSES)
]


def checkpoint(*, cosigners: list[int], origin: str = ORIGIN, size: int = 7) -> str:
    text = Checkpoint(origin, size, bytes(range(32))).text()
    signatures: list[Signature] = [sign_note(LOG.sign, name=ORIGIN, public_key=raw(LOG), text=text)]
    for i in cosigners:
        signatures.append(
            cosign(
                WITNESSES[i].sign,
                name=f"w{i}.example",
                public_key=raw(WITNESSES[i]),
                text=text,
                timestamp=1_790_000_000,
            )
        )
    return format_note(text, signatures)


def test_k_of_n() -> None:
    note = checkpoint(cosigners=[0, 2])
    ok = check_checkpoint(note, log_keys=[LOG_KEY], witnesses=WITNESS_KEYS, quorum=2)
    assert ok.ok, ok.message
    short = check_checkpoint(note, log_keys=[LOG_KEY], witnesses=WITNESS_KEYS, quorum=3)
    assert not short.ok and "cosigned by 2 of the 3 known witnesses; 3 required" in short.message


def test_unknown_cosigners_do_not_count() -> None:
    note = checkpoint(cosigners=[0, 1])
    verdict = check_checkpoint(note, log_keys=[LOG_KEY], witnesses=WITNESS_KEYS[:1], quorum=2)
    assert not verdict.ok and "cosigned by 1 of the 1" in verdict.message


def test_a_forged_cosignature_fails_the_checkpoint() -> None:
    honest = checkpoint(cosigners=[0, 1]).split("\n\n")[1]
    other = checkpoint(cosigners=[], size=8)
    replayed = other + "".join(line + "\n" for line in honest.splitlines()[1:])
    verdict = check_checkpoint(replayed, log_keys=[LOG_KEY], witnesses=WITNESS_KEYS, quorum=0)
    assert not verdict.ok and "does not verify" in verdict.message


def test_the_origin_is_the_log_key_name() -> None:
    note = checkpoint(cosigners=[], origin="other.example/log")
    verdict = check_checkpoint(note, log_keys=[LOG_KEY])
    assert not verdict.ok and "another log" in verdict.message
    unsigned = check_checkpoint(checkpoint(cosigners=[]), log_keys=WITNESS_KEYS)
    assert not unsigned.ok and "not signed by the log" in unsigned.message
