from pathlib import Path

from pydantic import Field, SecretStr

from hdh_common.settings import HsmSettings, ServiceSettings


class Settings(ServiceSettings, HsmSettings):
    port: int = Field(8004, description="Port the HTTP server listens on.")
    audit_signing_key: SecretStr = Field(
        SecretStr(""),
        description="PEM private key (Ed25519) that signs tree heads; "
        "when empty, read from `HDH_AUDIT_SIGNING_KEY_FILE`.",
    )
    audit_signing_key_file: Path = Field(
        Path(".hdh/keys/audit-signing.pem"),
        description="File of the tree-head signing key (PEM, Ed25519); "
        "in `dev`, generated when missing.",
    )
    audit_signing_key_label: str = Field(
        "hdh-audit-signing",
        description="Label of the tree-head signing key pair (Ed25519) in the HSM, used instead"
        " of the PEM key when `HDH_HSM_MODULE` is set; the token signs, the private key never"
        " leaves it.",
    )
    audit_tree_head_interval: float = Field(
        60.0, description="Seconds between signed tree heads (signed only when the log grew)."
    )
    audit_ingest_enabled: bool = Field(
        True, description="Consume the `hdh.*` topics into the log (off: HTTP appends only)."
    )
    audit_ingest_topic_pattern: str = Field(
        r"^hdh\..*", description="Regular expression of the topics the audit log consumes."
    )
    audit_ingest_batch_size: int = Field(
        500, description="Most events sequenced in one transaction by the audit ingester."
    )
    public_url: str = Field(
        "http://localhost:8000", description="URL at which users reach the gateway."
    )
    audit_log_origin: str = Field(
        "",
        description="Origin line of the log's C2SP checkpoints (and name of its note key); "
        "empty: the public URL without its scheme, followed by `/audit`.",
    )
    audit_witnesses: dict[str, str] = Field(
        {},
        description="Witnesses asked to cosign each new checkpoint (C2SP `tlog-witness`), as "
        'JSON `{"<verifier key>": "<submission URL prefix>"}`; a verifier key is '
        "`<name>+<key id>+<base64 key>` (Ed25519 cosignature, type 0x04).",
    )
    audit_witness_timeout: float = Field(
        5.0, gt=0, description="Seconds to wait for a witness's answer."
    )

    @property
    def log_origin(self) -> str:
        if self.audit_log_origin:
            return self.audit_log_origin
        schemeless = self.public_url.split("://", 1)[-1].rstrip("/")
        return f"{schemeless}/audit"
